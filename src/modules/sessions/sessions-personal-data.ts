import { Injectable, type OnModuleInit } from '@nestjs/common';
import { affected } from '../auth/auth-personal-data';
import { PersonalDataRegistry } from '../compliance/personal-data/personal-data-registry';

type Row = Record<string, unknown>;

// The sessions module's part of the data export and erasure: the consultations the person
// took part in. Erasure drops the technical connection details; the join and leave times of
// a pseudonymous id stay with the consultation record.
@Injectable()
export class SessionsPersonalData implements OnModuleInit {
  constructor(private readonly registry: PersonalDataRegistry) {}

  onModuleInit(): void {
    this.registry.register({
      section: 'sessions',
      tables: ['session_participants', 'room_sessions'],
      exportFor: (userId, m) =>
        m.query<Row[]>(
          `SELECT s.id AS "sessionId", s.room_id AS "roomId", s.status,
                  s.started_at AS "startedAt", s.ended_at AS "endedAt",
                  p.joined_at AS "joinedAt", p.left_at AS "leftAt"
             FROM session_participants p JOIN room_sessions s ON s.id = p.session_id
            WHERE p.user_id = $1 ORDER BY p.joined_at`,
          [userId],
        ),
      eraseFor: (userId, m) =>
        affected(
          m,
          `UPDATE session_participants SET socket_id = NULL, instance_id = NULL
            WHERE user_id = $1 AND (socket_id IS NOT NULL OR instance_id IS NOT NULL)`,
          [userId],
        ),
    });
  }
}
