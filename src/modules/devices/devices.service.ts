import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { auditActor, type AuthUser } from '../../common/auth/auth-user';
import { decodeCursor, DEFAULT_PAGE_SIZE, encodeCursor } from '../../common/http/cursor';
import type { RequestMeta } from '../../common/http/request-meta';
import type { PageQuery } from '../../common/pagination/page-query.dto';
import { AppConfig } from '../../config/app-config';
import { AuditAction, AuditOutcome } from '../audit/audit-action';
import { AuditService } from '../audit/audit.service';
import { DevicesErrors } from './devices.errors';
import { toDeviceResponse } from './devices.mapper';
import { DevicesRepository } from './devices.repository';
import type { DeviceListResponse, DeviceResponse, RegisterDeviceRequest } from './dto/device.dto';
import type { PushPlatform } from './push-device.entity';
import { checkRegistration, type RegistrationPolicy } from './push-registration';

// A user's devices; more is abuse (each incoming call fans out to all of them).
export const MAX_DEVICES_PER_USER = 20;

// The signed-in user's push devices (docs/notifications.md#push). Each user sees and removes
// only their own; a device of someone else is "not found".
@Injectable()
export class DevicesService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly repository: DevicesRepository,
    private readonly audit: AuditService,
    private readonly config: AppConfig,
  ) {}

  get policy(): RegistrationPolicy {
    const { webPush, apns, fcm } = this.config.push;
    const platforms: PushPlatform[] = [];
    if (webPush) platforms.push('web');
    if (apns) platforms.push('apns');
    if (fcm) platforms.push('fcm');
    return { platforms, webPushHosts: webPush?.allowedHosts ?? [] };
  }

  async register(
    actor: AuthUser,
    body: RegisterDeviceRequest,
    meta: RequestMeta,
  ): Promise<DeviceResponse> {
    const { device, errors } = checkRegistration(body, this.policy);
    if (!device) throw DevicesErrors.invalid(errors);
    return this.dataSource.transaction(async (m) => {
      const { device: saved, previousUserId } = await this.repository.upsert(actor.id, device, m);
      const owned = await this.repository.forUser(actor.id, m);
      if (owned.length > MAX_DEVICES_PER_USER) throw DevicesErrors.tooMany(MAX_DEVICES_PER_USER);
      await this.audit.record(
        {
          action: AuditAction.DeviceRegister,
          outcome: AuditOutcome.Success,
          actor: auditActor(actor, meta),
          resource: { type: 'push_device', id: saved.id },
          requestId: meta.requestId,
          details: {
            platform: saved.platform,
            voip: saved.voip,
            moved: previousUserId !== null && previousUserId !== actor.id,
          },
        },
        m,
      );
      return toDeviceResponse(saved);
    });
  }

  async list(actor: AuthUser, query: PageQuery): Promise<DeviceListResponse> {
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const rows = await this.repository.pageForUser(actor.id, decodeCursor(query.cursor), limit);
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return {
      items: page.map(toDeviceResponse),
      nextCursor:
        rows.length > limit && last ? encodeCursor({ at: last.createdAt, id: last.id }) : null,
    };
  }

  async remove(actor: AuthUser, id: string, meta: RequestMeta): Promise<void> {
    await this.dataSource.transaction(async (m) => {
      const removed = await this.repository.deleteForUser(id, actor.id, m);
      if (!removed) throw DevicesErrors.notFound();
      await this.audit.record(
        {
          action: AuditAction.DeviceRemove,
          outcome: AuditOutcome.Success,
          actor: auditActor(actor, meta),
          resource: { type: 'push_device', id },
          requestId: meta.requestId,
          details: { platform: removed.platform, reason: 'owner' },
        },
        m,
      );
    });
  }

  // The provider said the token is dead (app uninstalled, subscription revoked): the device
  // goes, unless it was registered again with a new token meanwhile.
  async removeDead(id: string, token: string, reason: string): Promise<boolean> {
    return this.dataSource.transaction(async (m) => {
      const userId = await this.repository.deleteIfToken(id, token, m);
      if (!userId) return false;
      await this.audit.record(
        {
          action: AuditAction.DeviceRemove,
          outcome: AuditOutcome.Success,
          actor: { userId: null, role: null },
          resource: { type: 'push_device', id },
          subjectId: userId,
          details: { reason },
        },
        m,
      );
      return true;
    });
  }
}
