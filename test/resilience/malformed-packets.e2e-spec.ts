import { randomUUID } from 'node:crypto';
import { Role } from '../../src/common/auth/role';
import { authHeader, signIn, type SignedIn } from '../support/auth';
import { acceptInvitation } from '../support/care';
import { type Client, connect, Inbox, request } from '../support/signaling-client';
import { createTestApp, type TestApp } from '../support/test-app';
import { RawSocket } from './support/raw-socket';

// Malformed Socket.IO / Engine.IO packets sent over a bare WebSocket (docs/resilience.md,
// "Hostile input"): the offending connection is dropped (or the packet refused), the process
// stays up, and an established pair of well-behaved clients keeps relaying after each attack.

const SDP = 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n';
const MAX_PAYLOAD = 16 * 1024;

interface Attack {
  name: string;
  packets: (roomId: string) => (string | Buffer)[];
}

// Each of these closes the attacker's connection.
const DROPPING: Attack[] = [
  { name: 'an event with broken JSON', packets: () => ['42/signaling,1["room:join",{"roomId":'] },
  { name: 'an event whose payload is not an array', packets: () => ['42/signaling,1{"a":1}'] },
  { name: 'an unknown Socket.IO packet type', packets: () => ['49/signaling,["x"]'] },
  { name: 'an unknown Engine.IO packet type', packets: () => ['9hello'] },
  { name: 'an empty frame', packets: () => [''] },
  {
    name: 'a binary event with a non-numeric attachment count',
    packets: () => ['45-/signaling,1["room:join",{"_placeholder":true,"num":0}]'],
  },
  {
    name: 'a binary event with a negative attachment count',
    packets: () => ['45-1-/signaling,1["room:join",{"_placeholder":true,"num":0}]'],
  },
  {
    name: 'a binary attachment nobody announced',
    packets: () => [Buffer.from([1, 2, 3])],
  },
  {
    name: 'a binary event whose placeholder points past its attachments',
    packets: (roomId) => [
      `451-/signaling,1["room:join",{"roomId":"${roomId}","x":{"_placeholder":true,"num":7}}]`,
      Buffer.from([1]),
    ],
  },
  // (`error` is not reserved by the parser: it is an unknown event, ignored; see below.)
  ...['connect', 'disconnect', 'disconnecting', 'newListener', 'removeListener'].map((name) => ({
    name: `the reserved event name "${name}"`,
    packets: () => [`42/signaling,1["${name}",{}]`],
  })),
  {
    name: 'a frame beyond maxHttpBufferSize',
    packets: () => [`42/signaling,1["room:join","${'a'.repeat(MAX_PAYLOAD + 1)}"]`],
  },
  {
    name: 'a binary frame beyond maxHttpBufferSize',
    packets: () => [Buffer.alloc(MAX_PAYLOAD + 1)],
  },
];

describe('resilience: malformed Socket.IO packets', () => {
  let t: TestApp;
  let doctor: SignedIn;
  let patient: SignedIn;
  let attacker: SignedIn;
  let roomId: string;
  let d: Client;
  let p: Client;
  let pInbox: Inbox;
  const raws: RawSocket[] = [];

  beforeAll(async () => {
    t = await createTestApp({
      listen: true,
      env: {
        SIGNALING_MAX_PAYLOAD_BYTES: String(MAX_PAYLOAD),
        SIGNALING_EVENTS_PER_SECOND: '200',
        // The attacks run side by side, each on sockets of its own of the same attacker.
        SIGNALING_MAX_SOCKETS_PER_USER: '1000',
      },
    });
    doctor = await signIn(t, Role.Doctor);
    patient = await signIn(t, Role.Patient);
    attacker = await signIn(t, Role.Patient);
    const res = await t
      .http()
      .post('/api/v1/rooms')
      .set(authHeader(doctor.accessToken))
      .send({ name: 'Pair', type: 'consultation', memberIds: [patient.user.id, attacker.user.id] })
      .expect(201);
    roomId = (res.body as { id: string }).id;
    await acceptInvitation(t, patient, roomId);
    d = await connect(t, { token: doctor.accessToken });
    p = await connect(t, { token: patient.accessToken });
    pInbox = new Inbox(p);
    expect((await request(d, 'room:join', { roomId })).ok).toBe(true);
    expect((await request(p, 'room:join', { roomId })).ok).toBe(true);
  });

  afterAll(async () => {
    for (const r of raws) r.close();
    d.close();
    p.close();
    await t.close();
  });

  async function pairStillRelays(): Promise<void> {
    const sdp = `${SDP}a=x-probe:${randomUUID()}\r\n`;
    expect((await request(d, 'call:offer', { roomId, to: patient.user.id, sdp })).ok).toBe(true);
    await pInbox.next('call:offer', (e) => e.sdp === sdp);
    expect(d.connected && p.connected).toBe(true);
    expect((await t.http().get('/health/live')).status).toBe(200);
  }

  async function attackerSocket(): Promise<RawSocket> {
    const raw = await RawSocket.connect(await t.app.getUrl(), attacker.accessToken);
    raws.push(raw);
    // Proof that the connection works before the attack.
    raw.event(100, 'room:leave', { roomId: randomUUID() });
    expect(await raw.ack(100)).toHaveProperty('ok');
    return raw;
  }

  it.each(DROPPING)('drops the connection that sends $name', async ({ packets }) => {
    const raw = await attackerSocket();
    for (const packet of packets(roomId)) raw.send(packet);
    await raw.dropped();
    // The dropped socket never joined the room.
    const joined = raw.messages.filter((m) => m.startsWith('43/signaling,1['));
    expect(joined).toEqual([]);
    await pairStillRelays();
  });

  it('ignores unknown event names without an answer and keeps the connection (docs/signaling.md)', async () => {
    const raw = await attackerSocket();
    raw.event(1, 'no:such-event', { roomId });
    raw.event(2, 'room:JOIN', { roomId });
    raw.event(3, 'constructor', {});
    raw.event(4, '__proto__', {});
    raw.event(5, 'error', { roomId });
    raw.event(6, 'room:leave', { roomId: randomUUID() });
    // Packets are handled in order: once the ack of 6 is here, 1–5 were seen and ignored.
    expect(await raw.ack(6)).toHaveProperty('ok');
    expect(raw.messages.filter((m) => /^43\/signaling,[1-5]\[/.test(m))).toEqual([]);
    expect(raw.isOpen).toBe(true);
    await pairStillRelays();
  });

  it('keeps relaying after every attack above in a row, with the attackers gone', async () => {
    const sockets = await Promise.all(DROPPING.map(() => attackerSocket()));
    DROPPING.forEach((attack, i) => {
      for (const packet of attack.packets(roomId)) sockets[i].send(packet);
    });
    await Promise.all(sockets.map((s) => s.dropped()));
    await pairStillRelays();
  });
});
