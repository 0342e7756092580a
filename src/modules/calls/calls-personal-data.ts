import { Injectable, type OnModuleInit } from '@nestjs/common';
import { PersonalDataRegistry } from '../compliance/personal-data/personal-data-registry';

type Row = Record<string, unknown>;

// The calls module's part of the data export and erasure: calls the person made or was in.
// Call rows hold ids, times and quality figures only, so an erasure changes nothing here.
@Injectable()
export class CallsPersonalData implements OnModuleInit {
  constructor(private readonly registry: PersonalDataRegistry) {}

  onModuleInit(): void {
    this.registry.register({
      section: 'calls',
      tables: ['calls', 'call_participants'],
      exportFor: (userId, m) =>
        m.query<Row[]>(
          `SELECT c.id AS "callId", c.type, c.status, c.caller_id AS "callerId",
                  c.room_id AS "roomId", c.started_at AS "startedAt", c.ended_at AS "endedAt",
                  c.end_reason AS "endReason", c.created_at AS "createdAt",
                  p.state AS "myState", p.joined_at AS "joinedAt", p.left_at AS "leftAt"
             FROM calls c LEFT JOIN call_participants p ON p.call_id = c.id AND p.user_id = $1
            WHERE c.caller_id = $1 OR p.user_id = $1 ORDER BY c.created_at`,
          [userId],
        ),
      eraseFor: () => Promise.resolve(0),
    });
  }
}
