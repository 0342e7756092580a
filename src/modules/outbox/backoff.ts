// The wait before attempt `attempt + 1` after `attempt` failed: exponential from `baseMs`,
// capped at `maxMs`, with "full jitter" (a uniform draw below the exponential step), so that
// messages that failed together do not come back together.
export function backoffMs(
  attempt: number,
  baseMs: number,
  maxMs: number,
  random: () => number = Math.random,
): number {
  const step = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
  // Never less than a tenth of the step, so a retry is not immediate.
  return Math.round(step * (0.1 + 0.9 * random()));
}
