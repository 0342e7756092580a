import { DeadInstanceWatch } from './dead-instance-watch';

describe('DeadInstanceWatch', () => {
  it('releases an instance only once its heartbeat has been missing for the confirm period', () => {
    const watch = new DeadInstanceWatch(12_000);
    expect(watch.observe('b', false, 1_000)).toBe(false);
    expect(watch.observe('b', false, 12_999)).toBe(false);
    expect(watch.observe('b', false, 13_000)).toBe(true);
  });

  it('starts counting again when the heartbeat comes back (an emptied Redis refilled)', () => {
    const watch = new DeadInstanceWatch(12_000);
    watch.observe('b', false, 0);
    expect(watch.observe('b', true, 6_000)).toBe(false);
    expect(watch.observe('b', false, 13_000)).toBe(false);
    expect(watch.observe('b', false, 25_000)).toBe(true);
  });

  it('forgets instances that no longer hold sockets, and released ones', () => {
    const watch = new DeadInstanceWatch(12_000);
    watch.observe('b', false, 0);
    watch.observe('c', false, 0);
    watch.retain(['c']);
    watch.released('c');
    expect(watch.observe('b', false, 12_000)).toBe(false);
    expect(watch.observe('c', false, 12_000)).toBe(false);
  });
});
