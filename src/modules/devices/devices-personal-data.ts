import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import {
  affectedRows,
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

// A user's push devices: exported without their tokens and keys (credentials of the device,
// not facts about the person) and destroyed on erasure, with the record of which calls
// rang them.
@Injectable()
export class DevicesPersonalData extends PersonalDataContributor {
  readonly section = 'pushDevices';
  readonly tables = ['push_devices', 'push_rings'];
  readonly processing: ProcessingDeclaration = {
    dataCategories: [DataCategory.Device],
    dataSubjects: [DataSubjectGroup.Patients, DataSubjectGroup.Clinicians, DataSubjectGroup.Staff],
    purposes: ["reaching a person's devices for calls"],
    legalBases: [LegalBasis.Contract],
    retention: 'until removed by the person, reported dead by the provider, or erasure',
    internalRecipients: ['the person'],
    processors: [Processor.Push],
    securityMeasures: [
      ...COMMON_MEASURES,
      'push payloads hold ids only; Web Push end-to-end encrypted',
    ],
  };

  exportFor(subject: PersonalDataSubject, m: EntityManager): Promise<unknown> {
    return m.query<Record<string, unknown>[]>(
      `SELECT d.id, d.platform, d.voip, d.created_at AS "createdAt",
              COALESCE(array_agg(r.call_id ORDER BY r.created_at)
                       FILTER (WHERE r.call_id IS NOT NULL), '{}') AS "rungForCallIds"
         FROM push_devices d LEFT JOIN push_rings r ON r.device_id = d.id
        WHERE d.user_id = $1 GROUP BY d.id ORDER BY d.created_at`,
      [subject.id],
    );
  }

  // push_rings rows go with their device (ON DELETE CASCADE).
  eraseFor(subject: PersonalDataSubject, m: EntityManager): Promise<number> {
    return affectedRows(m, `DELETE FROM push_devices WHERE user_id = $1`, [subject.id]);
  }
}
