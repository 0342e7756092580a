import { MemoryPubSub } from '../../infra/redis/memory.store';
import { CHAT_MESSAGES_CHANNEL, ChatEvents, parseMessages } from './chat-events';
import type { ChatMessageResponse } from './dto/chat.dto';

const message = (roomId: string, seq: number): ChatMessageResponse => ({
  id: `m${seq}`,
  roomId,
  seq,
  senderId: 'u1',
  clientId: `c${seq}`,
  text: 'merhaba',
  attachment: null,
  erased: false,
  createdAt: new Date(0).toISOString(),
});

describe('ChatEvents', () => {
  it('hears what was delivered, through the channel, in the order published', async () => {
    const bus = new MemoryPubSub();
    const events = new ChatEvents(bus);
    await events.onApplicationBootstrap();
    const heard: number[] = [];
    events.message.subscribe((e) => heard.push(e.message.seq));
    await events.deliver('r1', ['u1', 'u2'], [message('r1', 1), message('r1', 2)]);
    await events.deliver('r1', ['u1'], [message('r1', 3)]);
    // Nobody to tell, or nothing to tell: nothing is published.
    await events.deliver('r1', [], [message('r1', 4)]);
    await events.deliver('r1', ['u1'], []);
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    expect(heard).toEqual([1, 2, 3]);
    await events.onModuleDestroy();
    await bus.publish(
      CHAT_MESSAGES_CHANNEL,
      JSON.stringify({ roomId: 'r1', recipientIds: ['u1'], messages: [message('r1', 5)] }),
    );
    await new Promise((r) => setImmediate(r));
    expect(heard).toEqual([1, 2, 3]);
  });

  it('drops a publication that is not a batch of one room’s messages for named people', () => {
    const ok = { roomId: 'r1', recipientIds: ['u1'], messages: [message('r1', 1)] };
    expect(parseMessages(JSON.stringify(ok))).toEqual([
      { roomId: 'r1', recipientIds: ['u1'], message: message('r1', 1) },
    ]);
    for (const bad of [
      'not json',
      'null',
      '42',
      JSON.stringify({ ...ok, roomId: 7 }),
      JSON.stringify({ ...ok, recipientIds: 'u1' }),
      JSON.stringify({ ...ok, recipientIds: [1] }),
      JSON.stringify({ ...ok, messages: {} }),
      JSON.stringify({ ...ok, messages: [null] }),
      JSON.stringify({ ...ok, messages: [message('r2', 1)] }),
    ])
      expect(parseMessages(bad)).toEqual([]);
  });
});
