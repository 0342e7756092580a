import { invitationWindow, windowPosition } from './invitation-window';

describe('invitation window', () => {
  const appointment = {
    startAt: new Date('2027-01-04T09:00:00Z'),
    endAt: new Date('2027-01-04T09:20:00Z'),
  };
  const window = invitationWindow(appointment, 15, 30);

  it('opens early minutes before the start and closes grace minutes after the end', () => {
    expect(window.opensAt.toISOString()).toBe('2027-01-04T08:45:00.000Z');
    expect(window.closesAt.toISOString()).toBe('2027-01-04T09:50:00.000Z');
  });

  it('places an instant before, inside or after the window, both bounds exactly', () => {
    expect(windowPosition(window, new Date('2027-01-04T08:44:59.999Z'))).toBe('early');
    expect(windowPosition(window, new Date('2027-01-04T08:45:00Z'))).toBe('open');
    expect(windowPosition(window, new Date('2027-01-04T09:49:59.999Z'))).toBe('open');
    expect(windowPosition(window, new Date('2027-01-04T09:50:00Z'))).toBe('late');
  });
});
