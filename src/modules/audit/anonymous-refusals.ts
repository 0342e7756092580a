import { Injectable } from '@nestjs/common';
import type { Counter } from 'prom-client';
import { KeyValueStore } from '../../infra/redis/key-value.store';
import { MetricsService } from '../../infra/metrics/metrics.service';

export const UNAUTHENTICATED_AUDITS_PER_MINUTE = 30;

// Refusals of callers without an identity (REST 401s on protected routes, refused signaling
// handshakes) are audited, but anyone can produce them by the thousand: each client address
// gets UNAUTHENTICATED_AUDITS_PER_MINUTE records a minute across both paths and every
// instance; the rest are only counted (hekim_audit_unauthenticated_suppressed_total).
@Injectable()
export class AnonymousRefusalBudget {
  private readonly suppressed: Counter;

  constructor(
    private readonly store: KeyValueStore,
    metrics: MetricsService,
  ) {
    this.suppressed = metrics.counter(
      'hekim_audit_unauthenticated_suppressed_total',
      'Refusals without an identity (REST 401s, signaling handshakes) not written to the audit trail because their address exceeded its budget',
    );
  }

  // Runs `write` (the audit record) when the address has budget left; counts it otherwise.
  async record(ip: string | null | undefined, write: () => Promise<unknown>): Promise<void> {
    let count = 1;
    try {
      count = await this.store.increment(`audit:unauthenticated:${addressKey(ip)}`, 60);
    } catch {
      // Without the counter store the budget cannot be kept; record rather than lose refusals.
    }
    if (count > UNAUTHENTICATED_AUDITS_PER_MINUTE) {
      this.suppressed.inc();
      return;
    }
    await write();
  }
}

// One key per client whatever the path reports: Express and Socket.IO spell an IPv4 client
// on a dual-stack socket differently (`::ffff:203.0.113.5` and `203.0.113.5`).
export function addressKey(ip: string | null | undefined): string {
  if (!ip) return 'unknown';
  return ip.startsWith('::ffff:') && ip.includes('.') ? ip.slice(7) : ip;
}
