import { appointmentCalendar } from './appointment-calendar';

describe('appointment calendar event (RFC 5545)', () => {
  const payload = {
    appointmentId: '5c2e7d1a-9b4f-4e38-a6d0-3f8b1c9e2a75',
    start: '2027-01-04T06:00:00.000Z',
    end: '2027-01-04T06:20:00.000Z',
    updatedAt: '2026-12-07T12:00:00.000Z',
    status: 'booked',
  };

  it('requests the event under one UID, its sequence growing with each change', () => {
    const first = appointmentCalendar(payload);
    const later = appointmentCalendar({ ...payload, updatedAt: '2026-12-08T12:00:00.000Z' });
    expect(first?.method).toBe('REQUEST');
    expect(first?.content).toContain('UID:5c2e7d1a-9b4f-4e38-a6d0-3f8b1c9e2a75@hekim');
    expect(first?.content).toContain('DTSTART:20270104T060000Z');
    expect(first?.content).toContain('DTEND:20270104T062000Z');
    const seq = (c: string | undefined) => Number(/SEQUENCE:(\d+)/.exec(c ?? '')?.[1]);
    expect(seq(later?.content)).toBeGreaterThan(seq(first?.content));
  });

  it('cancels it once the appointment is cancelled', () => {
    const cancelled = appointmentCalendar({ ...payload, status: 'cancelled' });
    expect(cancelled?.method).toBe('CANCEL');
    expect(cancelled?.content).toContain('METHOD:CANCEL');
    expect(cancelled?.content).toContain('STATUS:CANCELLED');
  });

  it('has no event without an appointment id and valid times', () => {
    expect(appointmentCalendar({ ...payload, appointmentId: undefined })).toBeUndefined();
    expect(appointmentCalendar({ ...payload, start: 'soon' })).toBeUndefined();
  });
});
