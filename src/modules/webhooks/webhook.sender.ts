import { Injectable } from '@nestjs/common';
import { Webhook } from 'standardwebhooks';
import { DataSource } from 'typeorm';
import { GroupCommitQueue } from '../../common/group-commit-queue';
import { AppConfig } from '../../config/app-config';
import { AuditAction, AuditOutcome } from '../audit/audit-action';
import { AuditService } from '../audit/audit.service';
import {
  DeliveryError,
  ChannelSender,
  type OutboundMessage,
  type SendReceipt,
} from '../outbox/channel-sender';
import { OutboxChannel } from '../outbox/outbox-message.entity';
import { WebhookDeliveryStatus } from './webhook-delivery.entity';
import { subjectsOf } from './webhook-events';
import { postWebhook } from './webhook-http';
import { WebhooksRepository, type AttemptRecord, type DeliveryToSend } from './webhooks.repository';
import { WebhooksService } from './webhooks.service';

// Deliveries read, or attempts written, by one statement at most.
const MAX_PER_STATEMENT = 500;
// Signers kept (one per endpoint, with the secret it was opened from).
const MAX_SIGNERS = 1000;

interface Attempt extends AttemptRecord {
  endpointId: string;
  webhookId: string;
  eventType: string;
  attempt: number;
  // The people the event names (subjectsOf).
  subjectIds: string[];
}

// The webhook channel: each attempt POSTs the delivery's body in the Standard Webhooks format
// (`webhook-id`, `webhook-timestamp`, `webhook-signature: v1,<base64 HMAC-SHA256>`), records
// the outcome in the delivery log and audits it. 2xx is delivered; 410 Gone gives up at once;
// anything else (other statuses, redirects, timeouts, refused connections) is retried by the
// outbox.
//
// The relay hands over many deliveries at once; what they need from the database is read for
// all of them together (one query), and their delivery-log updates and audit records are
// written together, in one transaction (the log and the audit trail never disagree). An
// attempt whose outcome cannot be written fails, and the outbox sends it again.
@Injectable()
export class WebhookSender extends ChannelSender {
  readonly channel = OutboxChannel.Webhook;
  // Reads started by prepare(), taken by send(), by attempt (outbox id and attempt number):
  // an attempt never uses a read made for another one.
  private readonly prepared = new Map<string, Promise<DeliveryToSend | undefined>>();
  private readonly signers = new Map<string, { sealed: string; signer: Webhook }>();
  private readonly lookups = new GroupCommitQueue<string, DeliveryToSend | undefined>({
    maxBatch: MAX_PER_STATEMENT,
    write: async (ids) => {
      const found = new Map((await this.repository.deliveriesToSend(ids)).map((d) => [d.id, d]));
      return ids.map((id) => found.get(id));
    },
  });
  private readonly attempts = new GroupCommitQueue<Attempt, void>({
    maxBatch: MAX_PER_STATEMENT,
    // The message has left; only the outbox's outcome waits on this.
    lingerMs: 5,
    write: (batch) => this.writeAttempts(batch),
  });

  constructor(
    private readonly repository: WebhooksRepository,
    private readonly webhooks: WebhooksService,
    private readonly audit: AuditService,
    private readonly config: AppConfig,
    private readonly dataSource: DataSource,
  ) {
    super();
  }

  // Reads the deliveries of a claimed batch (one query) before their turn to be sent.
  override async prepare(messages: OutboundMessage[]): Promise<void> {
    if (this.prepared.size + messages.length > MAX_PER_STATEMENT) this.prepared.clear();
    const reads: Promise<unknown>[] = [];
    for (const m of messages) {
      const id = m.payload.deliveryId;
      if (typeof id !== 'string') continue;
      const read = this.lookups.push(id);
      read.catch(() => undefined);
      this.prepared.set(attemptKey(m), read);
      reads.push(read);
    }
    await Promise.all(reads);
  }

  // Resolves once the POST is answered (or failed); the receipt settles once the attempt is
  // in the delivery log and the audit trail.
  async send(message: OutboundMessage): Promise<SendReceipt> {
    const deliveryId = message.payload.deliveryId;
    const delivery =
      typeof deliveryId === 'string' ? await this.read(message, deliveryId) : undefined;
    if (!delivery) throw new DeliveryError('DELIVERY_GONE', true);
    if (!delivery.live) throw new DeliveryError('ENDPOINT_DELETED', true);

    const body = JSON.stringify(delivery.body);
    const now = new Date();
    const headers = {
      'webhook-id': delivery.webhookId,
      'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
      'webhook-signature': this.signerOf(delivery).sign(delivery.webhookId, now, body),
    };
    let status: number | null = null;
    let failure: DeliveryError | undefined;
    try {
      status = await postWebhook(delivery.url, headers, body, {
        timeoutMs: this.config.webhooks.timeoutMs,
        policy: this.webhooks.policy,
      });
      if (status < 200 || status >= 300)
        failure = new DeliveryError(`HTTP_${status}`, status === 410);
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      const name = typeof code === 'string' ? code.slice(0, 40) : 'CONNECTION_FAILED';
      failure = new DeliveryError(name, name === 'FORBIDDEN_TARGET', { cause: err });
    }

    const final =
      failure !== undefined &&
      (failure.permanent || message.attempt >= this.config.notify.maxAttempts);
    const recorded = this.attempts.push({
      id: delivery.id,
      endpointId: delivery.endpointId,
      webhookId: delivery.webhookId,
      eventType: delivery.eventType,
      attempt: message.attempt,
      subjectIds: subjectsOf(delivery.body),
      status: !failure
        ? WebhookDeliveryStatus.Delivered
        : final
          ? WebhookDeliveryStatus.Failed
          : WebhookDeliveryStatus.Pending,
      responseStatus: status,
      error: failure?.code ?? null,
    });
    return { settled: failure ? recorded.then(() => Promise.reject(failure)) : recorded };
  }

  // What prepare() read, else a read of its own (with the other sends of the moment).
  private read(message: OutboundMessage, deliveryId: string): Promise<DeliveryToSend | undefined> {
    const key = attemptKey(message);
    const prepared = this.prepared.get(key);
    if (!prepared) return this.lookups.push(deliveryId);
    this.prepared.delete(key);
    return prepared.catch(() => this.lookups.push(deliveryId));
  }

  // The signer of an endpoint, kept while its sealed secret is the same: opening the secret
  // and decoding it is done once per endpoint, not once per delivery.
  private signerOf(delivery: DeliveryToSend): Webhook {
    const known = this.signers.get(delivery.endpointId);
    if (known?.sealed === delivery.secretSealed) return known.signer;
    if (this.signers.size >= MAX_SIGNERS) this.signers.clear();
    const signer = new Webhook(this.webhooks.secretOf(delivery));
    this.signers.set(delivery.endpointId, { sealed: delivery.secretSealed, signer });
    return signer;
  }

  // The delivery-log updates and the audit records of a batch of attempts, in one transaction
  // (the records are appended by one statement sent with its COMMIT: AuditService.recordMany).
  // A delivery attempted twice in the batch (a replay beside a retry) is updated once per
  // attempt.
  private async writeAttempts(batch: Attempt[]): Promise<void[]> {
    await this.dataSource.transaction(async (manager) => {
      for (const round of uniqueRounds(batch)) await this.repository.recordAttempts(round, manager);
      await this.audit.recordMany(
        batch.map((a) => ({
          action: AuditAction.WebhookDelivery,
          outcome: a.error ? AuditOutcome.Failure : AuditOutcome.Success,
          actor: { userId: null, role: null, ip: null, userAgent: null },
          resource: { type: 'webhook_endpoint', id: a.endpointId },
          details: {
            deliveryId: a.id,
            webhookId: a.webhookId,
            eventType: a.eventType,
            attempt: a.attempt,
            status: a.responseStatus,
            ...(a.error ? { error: a.error } : {}),
            ...(a.subjectIds.length > 0 ? { subjectIds: a.subjectIds } : {}),
          },
        })),
        manager,
      );
    });
    return batch.map(() => undefined);
  }
}

const attemptKey = (m: OutboundMessage): string => `${m.id}:${m.attempt}`;

// The attempts split so that no delivery appears twice in one part.
function uniqueRounds(batch: Attempt[]): Attempt[][] {
  const rounds: { ids: Set<string>; items: Attempt[] }[] = [];
  for (const a of batch) {
    let round = rounds.find((r) => !r.ids.has(a.id));
    if (!round) rounds.push((round = { ids: new Set(), items: [] }));
    round.ids.add(a.id);
    round.items.push(a);
  }
  return rounds.map((r) => r.items);
}
