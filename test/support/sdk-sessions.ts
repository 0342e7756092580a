import type { ConsultationSession, SessionEvents } from '../../packages/client/src/session';

// Waiting on @hekim/client sessions in e2e tests (test/sdk).

// The next `event` of a session that matches, or a rejection after timeoutMs.
export function nextEvent<K extends keyof SessionEvents>(
  session: ConsultationSession,
  event: K,
  match: (p: SessionEvents[K]) => boolean = () => true,
  timeoutMs = 15_000,
): Promise<SessionEvents[K]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`no ${String(event)} within ${timeoutMs} ms`));
    }, timeoutMs);
    const off = session.on(event, (p) => {
      if (!match(p)) return;
      clearTimeout(timer);
      off();
      resolve(p);
    });
  });
}

// Polls a condition (every 50 ms) until it holds, or throws after timeoutMs.
export async function waitFor(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}
