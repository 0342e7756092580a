import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';

// This process's identity among the Hekim instances sharing a database.
@Injectable()
export class InstanceIdentity {
  readonly id = randomUUID();
}
