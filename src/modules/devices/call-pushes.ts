import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { OutboxChannel } from '../outbox/outbox-message.entity';
import { OutboxService } from '../outbox/outbox.service';
import { DevicesRepository } from './devices.repository';
import { PushKind } from './push/push-message';

// How long a `call.ended` follow-up is worth sending: past this, the device stopped ringing
// on its own long ago.
const FOLLOW_UP_TTL_MS = 60 * 60 * 1000;

// The pushes of a ringing call (docs/notifications.md#push), written in the caller's
// transaction: one outbox message per device, so that each is retried, dead-lettered and
// expired on its own. Payloads hold ids and a kind only.
@Injectable()
export class CallPushes {
  constructor(
    private readonly devices: DevicesRepository,
    private readonly outbox: OutboxService,
  ) {}

  // `call.incoming` to every device of the user; the messages expire with the ring.
  async ringing(
    manager: EntityManager,
    ring: { callId: string; userId: string; callerId: string; type: string; expiresAt: Date },
  ): Promise<number> {
    const devices = await this.devices.forUser(ring.userId, manager);
    for (const device of devices)
      await this.outbox.enqueue(manager, {
        channel: OutboxChannel.Push,
        recipient: device.id,
        kind: PushKind.CallIncoming,
        payload: {
          callId: ring.callId,
          callerId: ring.callerId,
          callType: ring.type,
          ttlUntil: ring.expiresAt.toISOString(),
        },
        expiresAt: ring.expiresAt,
      });
    await this.devices.rememberRing(
      ring.callId,
      devices.map((d) => d.id),
      manager,
    );
    return devices.length;
  }

  // These users stopped ringing (the caller cancelled, they answered or declined on another
  // device, the ring timed out): `call.ended` to each device that was pushed the call.
  async stopped(
    manager: EntityManager,
    stop: { callId: string; userIds: string[]; reason: string },
  ): Promise<number> {
    if (stop.userIds.length === 0) return 0;
    const rung = await this.devices.takeRung(stop.callId, stop.userIds, manager);
    const expiresAt = new Date(Date.now() + FOLLOW_UP_TTL_MS);
    for (const { deviceId } of rung)
      await this.outbox.enqueue(manager, {
        channel: OutboxChannel.Push,
        recipient: deviceId,
        kind: PushKind.CallEnded,
        payload: { callId: stop.callId, reason: stop.reason, ttlUntil: expiresAt.toISOString() },
        expiresAt,
      });
    return rung.length;
  }
}
