// When a socket in a room needs fresh TURN credentials: a quarter of the TTL (at most a
// minute) before the ones it holds expire, so a slow client still has time to apply them.
export function iceRefreshDue(
  now: number,
  heldUntil: number | undefined,
  ttlSeconds: number,
): boolean {
  if (heldUntil === undefined) return true;
  const lead = Math.min(60_000, (ttlSeconds * 1000) / 4);
  return heldUntil - now <= lead;
}
