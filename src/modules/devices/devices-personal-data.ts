import { Injectable, type OnModuleInit } from '@nestjs/common';
import { PersonalDataRegistry } from '../compliance/personal-data/personal-data-registry';
import { affected } from '../auth/auth-personal-data';

// A user's push devices: exported without their tokens and keys (credentials of the device,
// not facts about the person) and destroyed on erasure, with the record of which calls
// rang them.
@Injectable()
export class DevicesPersonalData implements OnModuleInit {
  constructor(private readonly registry: PersonalDataRegistry) {}

  onModuleInit(): void {
    this.registry.register({
      section: 'pushDevices',
      tables: ['push_devices', 'push_rings'],
      exportFor: (userId, m) =>
        m.query<Record<string, unknown>[]>(
          `SELECT d.id, d.platform, d.voip, d.created_at AS "createdAt",
                  COALESCE(array_agg(r.call_id ORDER BY r.created_at)
                           FILTER (WHERE r.call_id IS NOT NULL), '{}') AS "rungForCallIds"
             FROM push_devices d LEFT JOIN push_rings r ON r.device_id = d.id
            WHERE d.user_id = $1 GROUP BY d.id ORDER BY d.created_at`,
          [userId],
        ),
      // push_rings rows go with their device (ON DELETE CASCADE).
      eraseFor: (userId, m) => affected(m, `DELETE FROM push_devices WHERE user_id = $1`, [userId]),
    });
  }
}
