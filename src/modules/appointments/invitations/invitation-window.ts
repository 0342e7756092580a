// When an invitation link works (docs/appointments.md, "Invitations"): from `earlyMinutes`
// before the appointment's start until `graceMinutes` after its end.
export interface InvitationWindow {
  opensAt: Date;
  closesAt: Date;
}

export function invitationWindow(
  appointment: { startAt: Date; endAt: Date },
  earlyMinutes: number,
  graceMinutes: number,
): InvitationWindow {
  return {
    opensAt: new Date(appointment.startAt.getTime() - earlyMinutes * 60_000),
    closesAt: new Date(appointment.endAt.getTime() + graceMinutes * 60_000),
  };
}

// 'early' before the window, 'late' after it (the closing instant is already outside).
export function windowPosition(window: InvitationWindow, now: Date): 'early' | 'open' | 'late' {
  if (now.getTime() < window.opensAt.getTime()) return 'early';
  if (now.getTime() >= window.closesAt.getTime()) return 'late';
  return 'open';
}
