import { IoAdapter } from '@nestjs/platform-socket.io';
import { eventArgs } from './event-payload';

// eventArgs must read a listener's arguments exactly as Nest's adapter does (fromEvent hands it
// the only argument, or all of them), for the events the gateway binds itself.
describe('eventArgs', () => {
  const nest = (args: unknown[]): unknown =>
    IoAdapter.prototype.mapPayload.call(null, args.length === 1 ? args[0] : args);
  const ack = (): void => undefined;

  it.each([
    ['a payload', [{ roomId: 'r' }]],
    ['a payload and an ack', [{ roomId: 'r' }, ack]],
    ['only an ack', [ack]],
    ['nothing', []],
    ['two payloads', ['a', 'b']],
    ['two payloads and an ack', ['a', 'b', ack]],
    ['an array payload', [['x', 'y']]],
    ['an array payload and an ack', [['x'], ack]],
    ['null and an ack', [null, ack]],
  ])('reads %s as Nest does', (_name, args) => {
    expect(eventArgs(args)).toEqual(nest(args));
  });
});
