import { Injectable, Logger } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { auditActor, type AuthUser } from '../../../common/auth/auth-user';
import { Role } from '../../../common/auth/role';
import type { RequestMeta } from '../../../common/http/request-meta';
import { AuditAction, AuditOutcome } from '../../audit/audit-action';
import { AuditService } from '../../audit/audit.service';
import { CallsService } from '../../calls/calls.service';
import { RoomPresenceService } from '../../sessions/room-presence.service';
import { ConsentPurpose } from './consent-purpose';
import type { ConsentGrantEntity } from './consent.entity';
import { toConsentResponse, toConsentTextResponse, toRequiredConsent } from './consent.mapper';
import { ConsentErrors } from './consents.errors';
import { ConsentsRepository } from './consents.repository';
import type {
  ConsentResponse,
  ConsentTextListResponse,
  ConsentTextResponse,
  GrantConsentRequest,
  ListConsentTextsQuery,
  MyConsentsResponse,
  PublishConsentTextRequest,
} from './dto/consent.dto';
import { WebhooksService } from '../../webhooks/webhooks.service';

// The reason sessions and calls carry when a withdrawal takes a patient out of them.
export const CONSENT_WITHDRAWN = 'consent_withdrawn';

// Consent texts and grants (docs/compliance.md). Each change is one transaction
// with its audit record; a withdrawal of `telemedicine` then takes the patient out of every
// room and call they are in.
@Injectable()
export class ConsentsService {
  private readonly logger = new Logger('Consents');

  constructor(
    private readonly dataSource: DataSource,
    private readonly consents: ConsentsRepository,
    private readonly audit: AuditService,
    private readonly presence: RoomPresenceService,
    private readonly calls: CallsService,
    private readonly webhooks: WebhooksService,
  ) {}

  async texts(query: ListConsentTextsQuery): Promise<ConsentTextListResponse> {
    const rows =
      query.all === 'true'
        ? await this.consents.allTexts(query.purpose)
        : (await this.consents.currentTexts()).filter(
            (t) => query.purpose === undefined || t.purpose === query.purpose,
          );
    return { items: rows.map(toConsentTextResponse), nextCursor: null };
  }

  // A new version of a purpose's text. Grants of older versions stay as evidence but no
  // longer satisfy the consent gate: patients are asked again (GET /consents/me `required`).
  async publish(
    admin: AuthUser,
    input: PublishConsentTextRequest,
    meta: RequestMeta,
  ): Promise<ConsentTextResponse> {
    const text = await this.dataSource.transaction(async (m) => {
      await this.consents.lockTexts(input.purpose, m);
      const current = await this.consents.currentText(input.purpose, m);
      const created = await this.consents.insertText(
        {
          purpose: input.purpose,
          version: (current?.version ?? 0) + 1,
          text: input.text,
          publishedAt: new Date(),
        },
        m,
      );
      await this.record(admin, meta, AuditAction.ConsentTextPublish, m, {
        resource: { type: 'consent_text', id: created.id },
        details: { purpose: created.purpose, version: created.version },
      });
      return created;
    });
    return toConsentTextResponse(text);
  }

  async mine(user: AuthUser): Promise<MyConsentsResponse> {
    const grants = await this.consents.grantsOf(user.id);
    const current = await this.consents.currentTexts();
    const inForce = grants.filter((g) => g.withdrawnAt === null && g.supersededAt === null);
    return {
      consents: grants.map(toConsentResponse),
      required: current
        .filter((t) => !inForce.some((g) => g.purpose === t.purpose && g.version === t.version))
        .map(toRequiredConsent),
    };
  }

  async grant(
    user: AuthUser,
    input: GrantConsentRequest,
    meta: RequestMeta,
  ): Promise<ConsentResponse> {
    const grant = await this.dataSource.transaction(async (m) => {
      await this.consents.lockPerson(user.id, input.purpose, 'change', m);
      const current = await this.consents.currentText(input.purpose, m);
      if (!current) throw ConsentErrors.noText();
      if (input.version !== current.version) throw ConsentErrors.notCurrent(current.version);
      const existing = await this.consents.inForce(user.id, input.purpose, m);
      // Granting again what is already in force changes nothing.
      if (existing?.version === current.version) return existing;
      const now = new Date();
      if (existing) await this.consents.supersede(existing.id, now, m);
      const created = await this.consents.insertGrant(
        {
          userId: user.id,
          purpose: input.purpose,
          version: current.version,
          grantedAt: now,
          ip: meta.ip,
          userAgent: meta.userAgent,
        },
        m,
      );
      await this.record(user, meta, AuditAction.ConsentGrant, m, {
        resource: { type: 'consent', id: created.id },
        details: {
          purpose: created.purpose,
          version: created.version,
          ...(existing ? { supersededVersion: existing.version } : {}),
        },
      });
      await this.webhooks.publish(m, 'consent.granted', {
        consentId: created.id,
        userId: user.id,
        purpose: created.purpose,
        version: created.version,
      });
      return created;
    });
    return toConsentResponse(grant);
  }

  async withdraw(user: AuthUser, purpose: ConsentPurpose, meta: RequestMeta): Promise<void> {
    const withdrawn: ConsentGrantEntity = await this.dataSource.transaction(async (m) => {
      await this.consents.lockPerson(user.id, purpose, 'change', m);
      const existing = await this.consents.inForce(user.id, purpose, m);
      if (!existing) throw ConsentErrors.notInForce();
      await this.consents.withdraw(existing.id, new Date(), m);
      await this.record(user, meta, AuditAction.ConsentWithdraw, m, {
        resource: { type: 'consent', id: existing.id },
        details: { purpose, version: existing.version },
      });
      await this.webhooks.publish(m, 'consent.withdrawn', {
        consentId: existing.id,
        userId: user.id,
        purpose,
        version: existing.version,
      });
      return existing;
    });
    if (
      withdrawn.purpose === ConsentPurpose.Telemedicine &&
      (user.role === Role.Patient || user.role === Role.Guest)
    )
      await this.endParticipation(user);
  }

  // After the withdrawal committed, so that a join that passed the gate before it is seen.
  private async endParticipation(user: AuthUser): Promise<void> {
    const calls = await this.calls.leaveAllOf(user);
    const rooms = await this.presence.removeUser(user, CONSENT_WITHDRAWN);
    this.logger.log({ userId: user.id, calls, rooms }, 'consent withdrawn: participation ended');
  }

  private async record(
    actor: AuthUser,
    meta: RequestMeta,
    action: AuditAction,
    m: EntityManager,
    extra: { resource: { type: string; id: string }; details: Record<string, unknown> },
  ): Promise<void> {
    await this.audit.record(
      {
        action,
        outcome: AuditOutcome.Success,
        actor: auditActor(actor, meta),
        subjectId: action === AuditAction.ConsentTextPublish ? null : actor.id,
        requestId: meta.requestId,
        ...extra,
      },
      m,
    );
  }
}
