import { Injectable, type OnModuleInit } from '@nestjs/common';
import { PersonalDataRegistry } from '../compliance/personal-data/personal-data-registry';
import { affected } from '../auth/auth-personal-data';

// The webhook endpoints an admin registered name them as their creator: exported (without the
// secret) and unlinked on erasure. The endpoints stay; they belong to the organisation.
@Injectable()
export class WebhooksPersonalData implements OnModuleInit {
  constructor(private readonly registry: PersonalDataRegistry) {}

  onModuleInit(): void {
    this.registry.register({
      section: 'webhookEndpointsCreated',
      tables: ['webhook_endpoints'],
      exportFor: (userId, m) =>
        m.query<Record<string, unknown>[]>(
          `SELECT id, url, events, created_at AS "createdAt", deleted_at AS "deletedAt"
             FROM webhook_endpoints WHERE created_by = $1 ORDER BY created_at`,
          [userId],
        ),
      eraseFor: (userId, m) =>
        affected(m, `UPDATE webhook_endpoints SET created_by = NULL WHERE created_by = $1`, [
          userId,
        ]),
    });
  }
}
