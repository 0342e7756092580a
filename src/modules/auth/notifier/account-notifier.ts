import type { EntityManager } from 'typeorm';

// Messages Hekim sends to people about their account. They carry secrets (a reset link), so
// a notifier must never log their content.
export type AccountMessage =
  | { kind: 'password_reset'; email: string; token: string; expiresAt: Date }
  | { kind: 'account_exists'; email: string };

// The delivery channel for account messages. The default (OutboxNotifier) queues them in the
// outbox, whose relay sends them by e-mail (docs/notifications.md). `send` runs inside the
// caller's transaction.
export abstract class AccountNotifier {
  abstract send(message: AccountMessage, manager: EntityManager): Promise<void>;
}
