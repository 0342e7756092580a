import type { AppConfig } from '../../../config/app-config';
import { ComplianceAlertsScanner } from './compliance-alerts.scanner';
import type { ComplianceAlertsService } from './compliance-alerts.service';

describe('ComplianceAlertsScanner', () => {
  afterEach(() => jest.useRealTimers());

  it('scans every ALERT_SCAN_INTERVAL_SECONDS and waits for a pass in flight when stopped', async () => {
    jest.useFakeTimers();
    const scanOnce = jest
      .fn()
      .mockResolvedValueOnce([{ id: 'a1', kind: 'break_glass' }])
      .mockResolvedValue([]);
    const scanner = new ComplianceAlertsScanner(
      { scanOnce } as unknown as ComplianceAlertsService,
      { alerts: { scanIntervalSeconds: 2 } } as unknown as AppConfig,
    );
    scanner.onApplicationBootstrap();
    jest.advanceTimersByTime(1999);
    expect(scanOnce).not.toHaveBeenCalled();
    jest.advanceTimersByTime(1);
    expect(scanOnce).toHaveBeenCalledTimes(1);
    await scanner.beforeApplicationShutdown();
    jest.advanceTimersByTime(10_000);
    expect(scanOnce).toHaveBeenCalledTimes(1);
  });
});
