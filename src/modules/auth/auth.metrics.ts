import { Injectable } from '@nestjs/common';
import type { Counter } from 'prom-client';
import { MetricsService } from '../../infra/metrics/metrics.service';

// What a password login ended in: signed in, refused credentials (unknown e-mail, wrong
// password, deactivated account, wrong second factor: one outcome, as the client sees one),
// a second factor asked for, the right password of an address not verified yet, or refused by
// the lockout.
export type LoginOutcome =
  'success' | 'invalid_credentials' | 'mfa_required' | 'email_not_verified' | 'locked';

@Injectable()
export class AuthMetrics {
  readonly logins: Counter<'outcome'>;

  constructor(metrics: MetricsService) {
    this.logins = metrics.counter(
      'hekim_auth_logins_total',
      'Password logins by outcome (success, invalid_credentials, mfa_required, email_not_verified, locked)',
      ['outcome'],
    );
  }

  login(outcome: LoginOutcome): void {
    this.logins.inc({ outcome });
  }
}
