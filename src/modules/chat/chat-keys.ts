import {
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import { DataSource } from 'typeorm';
import { PubSub, type Unsubscribe } from '../../infra/redis/key-value.store';
import { PatientProfileService } from '../users/patient-profile/patient-profile.service';

export const CHAT_KEYS_CHANNEL = 'chat:keys-forgotten';

interface Entry {
  key: Buffer;
  until: number;
}

// The data keys the chat seals new messages with (docs/chat.md, "Encryption"), unwrapped once
// and kept in process for a while instead of read and unwrapped on every send. Only sealing
// uses them: every read (history, downloads, the export, a resend's answer) reads the key
// from PostgreSQL, so an erasure's shredding makes what was written unreadable at once.
// An erasure drops the person's key here and on every other instance (PubSub, Redis in server
// mode); should that message be lost, no key is kept longer than TTL_MS. A message sealed
// under a shredded key in that moment is unreadable, never readable by someone else.
@Injectable()
export class ChatKeys implements OnApplicationBootstrap, OnModuleDestroy {
  static readonly TTL_MS = 10_000;
  static readonly MAX_ENTRIES = 10_000;

  private readonly logger = new Logger('ChatKeys');
  private readonly entries = new Map<string, Entry>();
  private readonly reading = new Map<string, Promise<Buffer>>();
  // Raised by every erasure: a key read before it must not be kept.
  private epoch = 0;
  private unsubscribe: Unsubscribe | undefined;

  // Replaceable in unit specs.
  now: () => number = Date.now;

  constructor(
    private readonly dataSource: DataSource,
    private readonly keys: PatientProfileService,
    private readonly pubsub: PubSub,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.unsubscribe = await this.pubsub.subscribe(CHAT_KEYS_CHANNEL, (userId) => {
      this.drop(userId);
    });
  }

  async onModuleDestroy(): Promise<void> {
    await this.unsubscribe?.().catch(() => undefined);
  }

  // The subject's data key for sealing, made on first use in a short transaction of its own
  // (the key row is locked while it is made, never while a message waits for its room's turn).
  async forSealing(subjectId: string): Promise<Buffer> {
    const entry = this.entries.get(subjectId);
    if (entry && entry.until > this.now()) return entry.key;
    // Sends that miss at the same moment share one read (and one unwrapping).
    // An erasure in between makes later sends read afresh (drop).
    const known = this.reading.get(subjectId);
    if (known) return known;
    const reading: Promise<Buffer> = this.read(subjectId).finally(() => {
      if (this.reading.get(subjectId) === reading) this.reading.delete(subjectId);
    });
    this.reading.set(subjectId, reading);
    return reading;
  }

  private async read(subjectId: string): Promise<Buffer> {
    const epoch = this.epoch;
    const key =
      (await this.keys.dataKey(subjectId)) ??
      (await this.dataSource.transaction((tx) => this.keys.dataKeyForWrite(subjectId, tx)));
    if (epoch === this.epoch) {
      if (this.entries.size >= ChatKeys.MAX_ENTRIES) this.entries.clear();
      this.entries.set(subjectId, { key, until: this.now() + ChatKeys.TTL_MS });
    }
    return key;
  }

  // An erasure of `userId`: their key is forgotten here and on every instance.
  async forget(userId: string): Promise<void> {
    this.drop(userId);
    try {
      await this.pubsub.publish(CHAT_KEYS_CHANNEL, userId);
    } catch (err) {
      this.logger.warn(
        { err: err instanceof Error ? err.message : String(err) },
        'could not announce an erased data key; other instances forget it within its lifetime',
      );
    }
  }

  private drop(userId: string): void {
    this.epoch++;
    this.entries.delete(userId);
    this.reading.delete(userId);
  }
}
