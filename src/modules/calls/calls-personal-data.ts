import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import {
  PersonalDataContributor,
  type PersonalDataSubject,
} from '../../common/personal-data/personal-data.contributor';
import {
  COMMON_MEASURES,
  DataCategory,
  DataSubjectGroup,
  LegalBasis,
  Processor,
  type ProcessingDeclaration,
} from '../../common/personal-data/processing';

type Row = Record<string, unknown>;

// The calls module's part of the data export and erasure: calls the person made or was in.
// Call rows hold ids, times and quality figures only, so an erasure changes nothing here.
@Injectable()
export class CallsPersonalData extends PersonalDataContributor {
  readonly section = 'calls';
  readonly tables = ['calls', 'call_participants'];
  readonly processing: ProcessingDeclaration = {
    dataCategories: [DataCategory.Communication],
    dataSubjects: [DataSubjectGroup.Patients, DataSubjectGroup.Clinicians, DataSubjectGroup.Staff],
    purposes: ['placing direct audio and video calls'],
    legalBases: [LegalBasis.HealthCare, LegalBasis.Contract],
    retention: 'RETENTION_CALLS_DAYS after the call ended (retention job)',
    internalRecipients: ['the participants'],
    processors: [Processor.Push, Processor.Webhooks],
    securityMeasures: [...COMMON_MEASURES, 'media end-to-end DTLS-SRTP, never stored'],
  };

  exportFor(subject: PersonalDataSubject, m: EntityManager): Promise<unknown> {
    return m.query<Row[]>(
      `SELECT c.id AS "callId", c.type, c.status, c.caller_id AS "callerId",
              c.room_id AS "roomId", c.started_at AS "startedAt", c.ended_at AS "endedAt",
              c.end_reason AS "endReason", c.created_at AS "createdAt",
              p.state AS "myState", p.joined_at AS "joinedAt", p.left_at AS "leftAt"
         FROM calls c LEFT JOIN call_participants p ON p.call_id = c.id AND p.user_id = $1
        WHERE c.caller_id = $1 OR p.user_id = $1 ORDER BY c.created_at`,
      [subject.id],
    );
  }

  eraseFor(): Promise<number> {
    return Promise.resolve(0);
  }
}
