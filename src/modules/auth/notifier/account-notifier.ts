import type { EntityManager } from 'typeorm';
import type { Locale } from '../../users/user.entity';

// Messages Hekim sends to people about their account, in their language. They carry secrets
// (a one-time token), so a notifier must never log their content.
export type AccountMessage =
  | { kind: 'password_reset'; email: string; locale: Locale; token: string; expiresAt: Date }
  | { kind: 'email_verification'; email: string; locale: Locale; token: string; expiresAt: Date }
  | { kind: 'account_exists'; email: string; locale: Locale };

// The delivery channel for account messages. The default (OutboxNotifier) queues them in the
// outbox, whose relay sends them by e-mail (docs/notifications.md). `send` runs inside the
// caller's transaction.
export abstract class AccountNotifier {
  abstract send(message: AccountMessage, manager: EntityManager): Promise<void>;
}
