import { Injectable } from '@nestjs/common';
import { PortImplementations } from '../../common/ports/port-implementations';
import type { OutboxChannel } from './outbox-message.entity';

// What a sender is given: never logged, since the payload may carry a one-time token.
export interface OutboundMessage {
  id: string;
  // The same for every attempt of this message (its outbox id): receivers drop repeats.
  idempotencyKey: string;
  channel: OutboxChannel;
  kind: string;
  recipient: string;
  payload: Record<string, unknown>;
  // 1 for the first attempt.
  attempt: number;
  createdAt: Date;
}

// A failed attempt. `code` is short and free of personal data (it is stored in `last_error`
// and may be logged); `permanent` skips the remaining attempts (the receiver refused the
// message itself, e.g. an unknown mailbox).
export class DeliveryError extends Error {
  constructor(
    readonly code: string,
    readonly permanent = false,
    options?: { cause?: unknown },
  ) {
    super(code, options);
    this.name = 'DeliveryError';
  }
}

// What a sender may answer once the message has left but what it writes about the attempt
// (a delivery log, an audit record) is still being written: `settled` resolves once that is
// written and the receiver accepted the message, and rejects (preferably with a
// DeliveryError) otherwise. The relay frees the message's sending slot at once and records
// the outcome when `settled` settles.
export interface SendReceipt {
  settled: Promise<void>;
}

// One delivery channel (e-mail, SMS, push, webhooks): a port the outbox declares and each
// channel module implements (docs/architecture.md, "Inverting a dependency"). `send` resolves
// once the receiver has accepted the message (or with a SendReceipt, see above) and throws
// (preferably a DeliveryError) otherwise. It must finish within the relay's lease
// (NOTIFY_LEASE_SECONDS), so senders use short timeouts.
export abstract class ChannelSender {
  abstract readonly channel: OutboxChannel;

  // Whether this process can deliver on the channel (its provider is configured), known once
  // the sender's module has started. A sender that is not ready takes no messages: they wait
  // in the outbox (and show in the backlog).
  isReady(): boolean {
    return true;
  }

  abstract send(message: OutboundMessage): Promise<void | SendReceipt>;

  // Optional: given a claimed batch before its messages are sent (while earlier ones are
  // still on their way), e.g. to read what they all need in one query. A failure here is
  // ignored: `send` must work on its own.
  prepare?(messages: OutboundMessage[]): Promise<void>;
}

// The ready senders of this process, one per channel, found as the implementations of the
// ChannelSender port once every module has started (no registration call). A channel without
// a sender is not claimed.
@Injectable()
export class ChannelSenders {
  private found: Map<OutboxChannel, ChannelSender> | undefined;
  private readonly standIns = new Map<OutboxChannel, ChannelSender>();

  constructor(private readonly ports: PortImplementations) {}

  // Tests only: a double (a recording sender) stands in for a channel's sender.
  standIn(sender: ChannelSender): void {
    this.standIns.set(sender.channel, sender);
  }

  get(channel: OutboxChannel): ChannelSender | undefined {
    return this.standIns.get(channel) ?? this.ready().get(channel);
  }

  channels(): OutboxChannel[] {
    return [...new Set([...this.ready().keys(), ...this.standIns.keys()])];
  }

  private ready(): Map<OutboxChannel, ChannelSender> {
    if (!this.found) {
      const found = new Map<OutboxChannel, ChannelSender>();
      for (const sender of this.ports.of(ChannelSender)) {
        if (!sender.isReady()) continue;
        if (found.has(sender.channel))
          throw new Error(`two senders for the ${sender.channel} channel`);
        found.set(sender.channel, sender);
      }
      this.found = found;
    }
    return this.found;
  }
}
