import { type KeyObject, createPublicKey } from 'node:crypto';
import {
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { AppConfig } from '../../../config/app-config';
import type { CheckpointBody } from './audit-chain';
import { AuditCheckpointEntity } from '../audit-checkpoint.entity';
import { keyIdOf, privateKeyFromConfig, publicKeyPem, signCheckpoint } from './audit-signing';
import { AuditRepository } from '../audit.repository';

// Signs the chain head every N records (inside the appending transaction) and every T
// minutes (on a timer), each checkpoint carrying the previous one's signature.
@Injectable()
export class AuditCheckpointer implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(AuditCheckpointer.name);
  private readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  readonly publicKeyPem: string;
  readonly keyId: string;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly config: AppConfig,
    private readonly dataSource: DataSource,
    private readonly repository: AuditRepository,
  ) {
    this.privateKey = privateKeyFromConfig(config.audit.signingKey);
    this.publicKey = createPublicKey(this.privateKey);
    this.publicKeyPem = publicKeyPem(this.privateKey);
    this.keyId = keyIdOf(this.publicKey);
  }

  onApplicationBootstrap(): void {
    const everyMs = this.config.audit.checkpointEveryMinutes * 60_000;
    this.timer = setInterval(() => {
      this.checkpointHead().catch((e: unknown) =>
        this.logger.error({ err: e }, 'audit checkpoint failed; retrying on the next tick'),
      );
    }, everyMs);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
  }

  isDue(seq: string): boolean {
    return BigInt(seq) % BigInt(this.config.audit.checkpointEveryRecords) === 0n;
  }

  // Caller holds the chain lock, so checkpoints form one line like the records.
  async sign(
    manager: EntityManager,
    head: { seq: string; hash: string },
    now: Date,
  ): Promise<void> {
    const last = await this.repository.lastCheckpoint(manager);
    if (last && BigInt(last.seq) >= BigInt(head.seq)) return;
    const body: CheckpointBody = {
      seq: head.seq,
      hash: head.hash,
      createdAt: now.toISOString(),
      keyId: this.keyId,
      prevSignature: last?.signature ?? '',
    };
    const checkpoint = Object.assign(new AuditCheckpointEntity(), {
      ...body,
      createdAt: now,
      signature: signCheckpoint(body, this.privateKey),
    });
    await this.repository.appendCheckpoint(checkpoint, manager);
  }

  // Signs the current head unless it is signed already; returns the head's seq (null when
  // the trail is empty).
  checkpointHead(): Promise<string | null> {
    return this.dataSource.transaction(async (m) => {
      const head = await this.repository.lockChainAndReadHead(m);
      if (head.seq === '0') return null;
      await this.sign(m, { seq: head.seq, hash: head.hash }, head.now);
      return head.seq;
    });
  }
}
