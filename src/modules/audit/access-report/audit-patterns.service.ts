import { Injectable } from '@nestjs/common';
import { AuditRepository, type AlarmCandidateRow } from '../audit.repository';

export type { AlarmCandidateRow } from '../audit.repository';

// The counts the compliance alarms need from the trail (docs/compliance.md, C17), read from
// the shared database so that a pattern spread over several instances is seen whole.
@Injectable()
export class AuditPatterns {
  constructor(private readonly repository: AuditRepository) {}

  // Records in (afterSeq, toSeq] worth an alarm's look, in chain order.
  candidatesBetween(afterSeq: string, toSeq: string, limit: number): Promise<AlarmCandidateRow[]> {
    return this.repository.findAlarmCandidates(afterSeq, toSeq, limit);
  }

  headSeq(): Promise<string> {
    return this.repository.headSeq();
  }

  patientsReadBy(actorId: string, since: Date, until: Date): Promise<number> {
    return this.repository.countPatientsRead(actorId, since, until);
  }

  deniedFor(actorId: string, since: Date, until: Date): Promise<number> {
    return this.repository.countDenied(actorId, since, until);
  }
}
