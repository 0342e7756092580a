import type { AppConfig } from '../../../config/app-config';
import { RetentionScheduler } from './retention.scheduler';
import type { RunRetention } from './run-retention.usecase';

const config = { retention: { jobIntervalMinutes: 1 } } as AppConfig;

describe('RetentionScheduler', () => {
  it('survives a failed run and tries again at the next tick', async () => {
    const execute = jest
      .fn()
      .mockRejectedValueOnce(new Error('database down'))
      .mockResolvedValueOnce(null);
    const scheduler = new RetentionScheduler(config, { execute } as unknown as RunRetention);
    await expect(scheduler.tick()).resolves.toBeUndefined();
    await expect(scheduler.tick()).resolves.toBeUndefined();
    expect(execute).toHaveBeenCalledTimes(2);
    expect(execute).toHaveBeenCalledWith('schedule');
  });

  it('does not start a run while one is still going', async () => {
    let finish: (v: null) => void = () => undefined;
    const execute = jest.fn(() => new Promise<null>((r) => (finish = r)));
    const scheduler = new RetentionScheduler(config, { execute } as unknown as RunRetention);
    const first = scheduler.tick();
    await scheduler.tick();
    finish(null);
    await first;
    expect(execute).toHaveBeenCalledTimes(1);
  });

  it('schedules on the configured interval and stops on shutdown', () => {
    jest.useFakeTimers();
    try {
      const execute = jest.fn().mockResolvedValue(null);
      const scheduler = new RetentionScheduler(config, { execute } as unknown as RunRetention);
      scheduler.onApplicationBootstrap();
      jest.advanceTimersByTime(59_999);
      expect(execute).not.toHaveBeenCalled();
      jest.advanceTimersByTime(1);
      expect(execute).toHaveBeenCalledTimes(1);
      scheduler.onModuleDestroy();
      jest.advanceTimersByTime(120_000);
      expect(execute).toHaveBeenCalledTimes(1);
    } finally {
      jest.useRealTimers();
    }
  });
});
