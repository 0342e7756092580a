import { Role } from '../../src/common/auth/role';
import { signIn } from '../support/auth';
import { careRoom } from '../support/care';
import { until } from '../support/signaling-client';
import type { TestApp } from '../support/test-app';
import { startTwoInstances, type TwoInstances } from '../support/two-instances';
import { type ChatMessageBody, history, messageOf, sendChat } from './chat-support';

// The chat across two instances behind one load balancer (docs/chat.md, "Delivery"): every
// member hears every message in the room's order, whichever instance each is on, and a resend
// after reconnecting to the other instance is the same message.
describe('chat across two instances', () => {
  let two: TwoInstances;
  let a: TestApp;
  let b: TestApp;

  beforeAll(async () => {
    two = await startTwoInstances({
      CHAT_USER_MESSAGES_PER_MINUTE: '1000',
      CHAT_ROOM_MESSAGES_PER_MINUTE: '1000',
      SIGNALING_EVENTS_PER_SECOND: '1000',
    });
    ({ a, b } = two);
  });
  afterAll(() => two?.close());

  const seqs = (events: Record<string, unknown>[]): number[] =>
    events.map((e) => (e.message as ChatMessageBody).seq);

  // docs/chat.md, "Delivery": every device gets every message once, and all of them in the
  // room's seq order, whichever instance each message was sent through and each device is on.
  it('delivers concurrent messages from both instances to every device once, in the room’s seq order', async () => {
    const doctor = await signIn(a, Role.Doctor);
    const patient = await signIn(a, Role.Patient);
    const roomId = await careRoom(a, doctor, patient);
    const d = await two.on(a, doctor.accessToken);
    const p = await two.on(b, patient.accessToken);
    // A second device of the patient's, on the doctor's instance.
    const p2 = await two.on(a, patient.accessToken);

    const N = 25;
    const acks = await Promise.all([
      ...Array.from({ length: N }, (_, i) => sendChat(d.socket, roomId, { text: `d${i}` })),
      ...Array.from({ length: N }, (_, i) => sendChat(p.socket, roomId, { text: `p${i}` })),
    ]);
    const sent = acks.map(messageOf);
    expect(new Set(sent.map((m) => m.seq)).size).toBe(2 * N);

    const all = Array.from({ length: 2 * N }, (_, i) => i + 1);
    for (const device of [d, p, p2]) {
      await until(() => device.inbox.of('chat:message').length >= 2 * N);
      // Exactly once each, in seq order: the same total order on every device.
      expect(seqs(device.inbox.of('chat:message'))).toEqual(all);
    }
    // Each sender's own messages keep the order it sent them in.
    const mine = sent.filter((m) => m.senderId === doctor.user.id).sort((x, y) => x.seq - y.seq);
    expect(new Set(mine.map((m) => m.text)).size).toBe(N);
    const page = await history(b, patient, roomId, '?limit=200');
    expect(page.body.items.map((m) => m.seq)).toEqual([...all].reverse());
  });

  it('answers a resend after a reconnect to the other instance with the same message, once', async () => {
    const doctor = await signIn(a, Role.Doctor);
    const patient = await signIn(a, Role.Patient);
    const roomId = await careRoom(a, doctor, patient);
    const d = await two.on(a, doctor.accessToken);

    // Acknowledged on B, then the device moves to A and resends.
    const first = await two.on(b, patient.accessToken);
    const original = messageOf(
      await sendChat(first.socket, roomId, { text: 'ilk', clientId: 'c-1' }),
    );
    first.socket.close();
    const moved = await two.on(a, patient.accessToken);
    const resent = messageOf(
      await sendChat(moved.socket, roomId, { text: 'ilk', clientId: 'c-1' }),
    );
    expect(resent).toEqual(original);

    // Sent on B and cut off before any ack could arrive: the resend on A makes it exist once,
    // whether or not B had stored it.
    const cut = await two.on(b, patient.accessToken);
    cut.socket.emit('chat:send', { roomId, text: 'ikinci', clientId: 'c-2' });
    cut.socket.disconnect();
    const again = messageOf(
      await sendChat(moved.socket, roomId, { text: 'ikinci', clientId: 'c-2' }),
    );
    expect(again.text).toBe('ikinci');

    const page = await history(a, doctor, roomId);
    expect(page.body.items.map((m) => m.clientId).sort()).toEqual(['c-1', 'c-2']);
    await until(() => d.inbox.of('chat:message').length >= 2);
    const heard = d.inbox.of('chat:message').map((e) => (e.message as ChatMessageBody).clientId);
    expect(heard.sort()).toEqual(['c-1', 'c-2']);
  });
});
