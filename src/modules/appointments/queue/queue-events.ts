import { Injectable } from '@nestjs/common';
import { Subject } from 'rxjs';

// A clinician's queue may have changed (docs/appointments.md, "The queue"): a check-in, an
// admission, a knock at or a leave from the waiting room, a cancellation, a no-show, a
// completion, a pre-call check, a transfer. Published only after the change committed; carries
// the clinician's id and nothing else, so whoever reacts (the signaling edge) reads the queue
// as it stands then.
export interface QueueChangedEvent {
  clinicianId: string;
}

@Injectable()
export class QueueEvents {
  readonly changed = new Subject<QueueChangedEvent>();
}
