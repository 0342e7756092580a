import type { CareRelationshipEntity } from './care-relationship.entity';
import { careStatus } from './care-timeline';
import type { CareRelationshipResponse } from './dto/care-relationship.dto';

export function toCareRelationshipResponse(
  r: CareRelationshipEntity,
  now: Date = new Date(),
): CareRelationshipResponse {
  return {
    id: r.id,
    clinicianId: r.clinicianId,
    patientId: r.patientId,
    source: r.source,
    sourceId: r.sourceId,
    since: r.since.toISOString(),
    until: r.until ? r.until.toISOString() : null,
    endedAt: r.endedAt ? r.endedAt.toISOString() : null,
    endedBy: r.endedBy,
    endReason: r.endReason,
    status: careStatus(r.until, now),
  };
}
