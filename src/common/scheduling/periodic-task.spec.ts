import { PeriodicTask } from './periodic-task';

describe('PeriodicTask', () => {
  const logger = { warn: jest.fn() };

  beforeEach(() => logger.warn.mockClear());

  it('never runs a pass while the previous one is still running', async () => {
    let release!: () => void;
    let passes = 0;
    const task = new PeriodicTask(
      'test failed',
      1000,
      () => {
        passes++;
        return new Promise<void>((r) => (release = r));
      },
      logger,
    );
    const first = task.runOnce();
    const second = task.runOnce();
    expect(passes).toBe(1);
    release();
    await Promise.all([first, second]);
    const third = task.runOnce();
    expect(passes).toBe(2);
    release();
    await third;
  });

  it('logs a failed pass and runs the next one', async () => {
    let calls = 0;
    const task = new PeriodicTask(
      'sweep failed',
      1000,
      () => (++calls === 1 ? Promise.reject(new Error('db down')) : Promise.resolve()),
      logger,
    );
    await expect(task.runOnce()).resolves.toBeUndefined();
    expect(logger.warn).toHaveBeenCalledWith({ err: 'db down' }, 'sweep failed');
    await task.runOnce();
    expect(calls).toBe(2);
  });

  it('waits for the pass in flight when stopped', async () => {
    let done = false;
    let release!: () => void;
    const task = new PeriodicTask(
      'x',
      1000,
      () =>
        new Promise<void>((r) => (release = r)).then(() => {
          done = true;
        }),
      logger,
    );
    task.start();
    void task.runOnce();
    const stopped = task.stop();
    release();
    await stopped;
    expect(done).toBe(true);
  });
});
