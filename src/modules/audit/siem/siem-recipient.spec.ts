import type { AppConfig } from '../../../config/app-config';
import { SiemRecipient } from './siem-recipient';

describe('SiemRecipient', () => {
  const of = (siem: Partial<NonNullable<AppConfig['siem']>> | undefined) =>
    new SiemRecipient({ siem } as unknown as AppConfig).recipient();

  it('names the configured collector, and nothing without one', () => {
    expect(of({ host: 'siem.hospital.example', port: 6514 })).toBe(
      'siem:siem.hospital.example:6514',
    );
    expect(of({ host: '::1', port: 7514 })).toBe('siem:[::1]:7514');
    expect(of(undefined)).toBeNull();
  });
});
