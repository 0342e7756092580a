import type { ConnectionChange } from '../../packages/client/src/signaling';
import { connectedOverFakeSocket } from './fakes';

// The signaling connection's reconnect after `server:draining`, on a scripted Socket.IO socket
// (the real drain, across two instances: test/sdk/werift-drain.e2e-spec.ts).
function setup() {
  const { socket, client } = connectedOverFakeSocket();
  const changes: ConnectionChange[] = [];
  client.on('connection', (c) => changes.push(c));
  return { socket, client, changes };
}

describe('sdk signaling: reconnect after server:draining', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('reconnects by itself after a jittered pause of at most a second when a draining server cuts it', () => {
    const { socket, changes } = setup();
    socket.server('server:draining', { reconnect: true });
    socket.server('disconnect', 'io server disconnect');
    expect(changes.at(-1)).toEqual({ state: 'reconnecting', reason: 'server draining' });
    expect(socket.connects).toBe(0);
    jest.advanceTimersByTime(1000);
    expect(socket.connects).toBe(1);
  });

  it('stays closed when any other server disconnect cuts it (revoked, expired)', () => {
    const { socket, changes } = setup();
    socket.server('disconnect', 'io server disconnect');
    jest.advanceTimersByTime(5000);
    expect(socket.connects).toBe(0);
    expect(changes.at(-1)).toEqual({ state: 'closed', reason: 'io server disconnect' });
  });

  it('does not reconnect when the app closes it during the pause', () => {
    const { socket, client, changes } = setup();
    socket.server('server:draining', { reconnect: true });
    socket.server('disconnect', 'io server disconnect');
    client.close();
    jest.advanceTimersByTime(5000);
    expect(socket.connects).toBe(0);
    expect(changes.at(-1)).toEqual({ state: 'closed', reason: 'io client disconnect' });
  });
});
