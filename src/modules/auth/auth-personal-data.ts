import { Injectable, type OnModuleInit } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { PersonalDataRegistry } from '../compliance/personal-data/personal-data-registry';

type Row = Record<string, unknown>;

// The auth module's part of the data export and erasure. Token hashes and one-time codes are
// secrets: never exported, destroyed on erasure. (SQL here plays the part of a repository for
// these read-everything and wipe-everything queries; the module's repositories stay focused
// on sign-in.)
@Injectable()
export class AuthPersonalData implements OnModuleInit {
  constructor(private readonly registry: PersonalDataRegistry) {}

  onModuleInit(): void {
    this.registry.register({
      section: 'deviceSessions',
      tables: ['auth_sessions', 'auth_refresh_tokens'],
      exportFor: (userId, m) =>
        m.query<Row[]>(
          `SELECT id, user_agent AS "userAgent", ip, created_at AS "createdAt",
                  last_used_at AS "lastUsedAt", expires_at AS "expiresAt",
                  revoked_at AS "revokedAt", revoked_reason AS "revokedReason"
             FROM auth_sessions WHERE user_id = $1 ORDER BY created_at`,
          [userId],
        ),
      // The sessions were revoked by the erasure already; what identifies the devices goes.
      eraseFor: async (userId, m) => {
        const tokens = await affected(
          m,
          `DELETE FROM auth_refresh_tokens WHERE session_id IN
             (SELECT id FROM auth_sessions WHERE user_id = $1)`,
          [userId],
        );
        const sessions = await affected(
          m,
          `UPDATE auth_sessions SET user_agent = NULL, ip = NULL WHERE user_id = $1`,
          [userId],
        );
        return tokens + sessions;
      },
    });
    this.registry.register({
      section: 'mfa',
      tables: ['auth_mfa', 'auth_recovery_codes'],
      exportFor: async (userId, m) => {
        const [mfa] = await m.query<Row[]>(
          `SELECT created_at AS "setUpAt", enabled_at AS "enabledAt" FROM auth_mfa WHERE user_id = $1`,
          [userId],
        );
        const [codes] = await m.query<{ unused: number }[]>(
          `SELECT count(*)::int AS unused FROM auth_recovery_codes WHERE user_id = $1 AND used_at IS NULL`,
          [userId],
        );
        return { enrolled: mfa !== undefined, ...(mfa ?? {}), unusedRecoveryCodes: codes.unused };
      },
      eraseFor: async (userId, m) =>
        (await affected(m, `DELETE FROM auth_recovery_codes WHERE user_id = $1`, [userId])) +
        (await affected(m, `DELETE FROM auth_mfa WHERE user_id = $1`, [userId])),
    });
    this.registry.register({
      section: 'passwordResets',
      tables: ['auth_single_use_tokens', 'notification_outbox'],
      exportFor: async (userId, m) => ({
        emailVerifications: await m.query<Row[]>(
          `SELECT created_at AS "createdAt", expires_at AS "expiresAt", used_at AS "usedAt"
             FROM auth_single_use_tokens
            WHERE user_id = $1 AND purpose = 'email_verification' ORDER BY created_at`,
          [userId],
        ),
        resets: await m.query<Row[]>(
          `SELECT created_at AS "createdAt", expires_at AS "expiresAt", used_at AS "usedAt"
             FROM auth_single_use_tokens
            WHERE user_id = $1 AND purpose = 'password_reset' ORDER BY created_at`,
          [userId],
        ),
        // Messages addressed to the person (their payloads carry one-time tokens: left out).
        messages: await m.query<Row[]>(
          `SELECT o.id, o.channel, o.kind, o.status, o.created_at AS "createdAt",
                  o.sent_at AS "sentAt"
             FROM notification_outbox o JOIN users u ON u.email = o.recipient
            WHERE u.id = $1 ORDER BY o.created_at`,
          [userId],
        ),
      }),
      eraseFor: async (userId, m) =>
        (await affected(m, `DELETE FROM auth_single_use_tokens WHERE user_id = $1`, [userId])) +
        (await affected(
          m,
          `DELETE FROM notification_outbox o USING users u WHERE u.email = o.recipient AND u.id = $1`,
          [userId],
        )),
    });
  }
}

// Rows changed by an UPDATE or DELETE (the pg driver returns [rows, count] through TypeORM).
export async function affected(m: EntityManager, sql: string, params: unknown[]): Promise<number> {
  const result: unknown = await m.query(sql, params);
  return Array.isArray(result) && typeof result[1] === 'number' ? result[1] : 0;
}
