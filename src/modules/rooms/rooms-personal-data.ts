import { Injectable, type OnModuleInit } from '@nestjs/common';
import { affected } from '../auth/auth-personal-data';
import { PersonalDataRegistry } from '../compliance/personal-data/personal-data-registry';

type Row = Record<string, unknown>;

// The rooms module's part of the data export and erasure: rooms the person hosts or belongs
// to, and knocks on waiting rooms. Memberships stay after an erasure: they link a
// pseudonymous id to a consultation, which the medical record needs.
@Injectable()
export class RoomsPersonalData implements OnModuleInit {
  constructor(private readonly registry: PersonalDataRegistry) {}

  onModuleInit(): void {
    this.registry.register({
      section: 'rooms',
      tables: ['rooms', 'room_members', 'room_waiting'],
      exportFor: async (userId, m) => ({
        memberships: await m.query<Row[]>(
          `SELECT r.id AS "roomId", r.name, r.type, r.status, r.host_id AS "hostId",
                  rm.role, rm.created_at AS "memberSince", r.scheduled_for AS "scheduledFor",
                  r.created_at AS "createdAt", r.closed_at AS "closedAt"
             FROM room_members rm JOIN rooms r ON r.id = rm.room_id
            WHERE rm.user_id = $1 ORDER BY rm.created_at`,
          [userId],
        ),
        hosted: await m.query<Row[]>(
          `SELECT id AS "roomId", name, type, status, created_at AS "createdAt"
             FROM rooms WHERE host_id = $1 ORDER BY created_at`,
          [userId],
        ),
        waiting: await m.query<Row[]>(
          `SELECT room_id AS "roomId", requested_at AS "requestedAt"
             FROM room_waiting WHERE user_id = $1`,
          [userId],
        ),
      }),
      eraseFor: (userId, m) => affected(m, `DELETE FROM room_waiting WHERE user_id = $1`, [userId]),
    });
  }
}
