import { Injectable } from '@nestjs/common';
import type { CountryCode } from 'libphonenumber-js';
import { DataSource, type EntityManager } from 'typeorm';
import { auditActor, type AuthUser } from '../../../common/auth/auth-user';
import { Role } from '../../../common/auth/role';
import type { AppException } from '../../../common/errors/app.exception';
import type { RequestMeta } from '../../../common/http/request-meta';
import { AppConfig } from '../../../config/app-config';
import { AuditAction, AuditOutcome } from '../../audit/audit-action';
import { AuditService } from '../../audit/audit.service';
import { DeviceSessionsService } from '../../auth/sessions/device-sessions.service';
import { AccessTokenService } from '../../auth/tokens/access-token.service';
import { newOpaqueToken, sha256Hex } from '../../auth/tokens/opaque-token';
import { MemberRole } from '../../rooms/room.entity';
import { RoomsService } from '../../rooms/rooms.service';
import { normalizePhone } from '../../sms/phone-number';
import type { UserEntity } from '../../users/user.entity';
import { UsersService } from '../../users/users.service';
import { WebhooksService } from '../../webhooks/webhooks.service';
import { AppointmentNotices } from '../booking/appointment-notices';
import { type AppointmentEntity, AppointmentStatus } from '../booking/appointment.entity';
import { AppointmentErrors } from '../booking/appointments.errors';
import { AppointmentsRepository } from '../booking/appointments.repository';
import type {
  CreateInvitationRequest,
  InvitationListResponse,
  InvitationResponse,
  InviteeRequest,
  RedeemInvitationRequest,
  RedeemInvitationResponse,
  ResendInvitationRequest,
} from './dto/invitation.dto';
import { type InvitationEntity, InvitationRole } from './invitation.entity';
import { toInvitationResponse } from './invitation.mapper';
import { invitationWindow, windowPosition } from './invitation-window';
import { InvitationErrors } from './invitations.errors';
import { InvitationsRepository } from './invitations.repository';

const LIVE = new Set([
  AppointmentStatus.Booked,
  AppointmentStatus.CheckedIn,
  AppointmentStatus.InConsultation,
]);
// How each kind of invitee shows in the room's presence (a patient is a participant).
const MEMBER_ROLE = {
  [InvitationRole.Guest]: MemberRole.Guest,
  [InvitationRole.Interpreter]: MemberRole.Interpreter,
  [InvitationRole.Companion]: MemberRole.Companion,
} as const;
// A holder asking for their link again gets at most one message per invitation this often.
const RESEND_COOLDOWN_MS = 60_000;

// Invitation links (docs/appointments.md, "Invitations"): one-time links to one appointment's
// room for its patient (when they have no account), a guest, an interpreter or a companion.
// Each invitation has a guest actor (a `users` row of role `guest`, UsersService.createGuest):
// redeeming the link opens a device session of that actor and answers a guest grant, an access
// token whose role admits it only to the routes and events that name guests, and whose only
// room is this one. Revoking ends those sessions, which cuts the holder's sockets at once.
@Injectable()
export class InvitationsService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly invitations: InvitationsRepository,
    private readonly appointments: AppointmentsRepository,
    private readonly users: UsersService,
    private readonly rooms: RoomsService,
    private readonly sessions: DeviceSessionsService,
    private readonly tokens: AccessTokenService,
    private readonly notices: AppointmentNotices,
    private readonly webhooks: WebhooksService,
    private readonly audit: AuditService,
    private readonly config: AppConfig,
  ) {}

  async create(
    actor: AuthUser,
    appointmentId: string,
    dto: CreateInvitationRequest,
    meta: RequestMeta,
    now = new Date(),
  ): Promise<InvitationResponse> {
    const reach = this.reach(dto);
    return this.dataSource.transaction(async (m) => {
      const a = await this.appointments.findByIdForUpdate(appointmentId, m);
      if (!a || !this.manages(actor, a)) throw AppointmentErrors.notFound();
      if (!LIVE.has(a.status) || a.endAt.getTime() <= now.getTime())
        throw InvitationErrors.closed();
      let guestId: string;
      if (dto.role === InvitationRole.Patient) {
        const patient = await this.users.findById(a.patientId, m);
        if (patient?.role !== Role.Guest) throw InvitationErrors.patientHasAccount();
        if (await this.invitations.liveOfGuest(a.id, patient.id, m))
          throw InvitationErrors.patientInvited();
        guestId = patient.id;
      } else {
        const guest = await this.users.createGuest(
          { displayName: dto.name, locale: dto.locale ?? null },
          m,
        );
        await this.rooms.addGuest(a.roomId, guest.id, MEMBER_ROLE[dto.role], m);
        guestId = guest.id;
      }
      const invitation = await this.issue(actor, meta, a, guestId, dto.role, dto, reach, m, now);
      return toInvitationResponse(invitation);
    });
  }

  // A doctor's or admin's booking for an invitee (docs/appointments.md): the patient is a new
  // guest actor, a member of the room from the start; the caller books the room with it and
  // then invites it as the patient, in the booking's transaction.
  async createInviteePatient(invitee: InviteeRequest, m: EntityManager): Promise<UserEntity> {
    this.reach(invitee);
    return this.users.createGuest({ displayName: invitee.name, locale: invitee.locale ?? null }, m);
  }

  async inviteBookedPatient(
    actor: AuthUser,
    meta: RequestMeta,
    a: AppointmentEntity,
    invitee: InviteeRequest,
    m: EntityManager,
    now = new Date(),
  ): Promise<void> {
    const reach = this.reach(invitee);
    await this.issue(actor, meta, a, a.patientId, InvitationRole.Patient, invitee, reach, m, now);
  }

  async list(actor: AuthUser, appointmentId: string): Promise<InvitationListResponse> {
    const a = await this.appointments.findById(appointmentId);
    if (!a || !this.manages(actor, a)) throw AppointmentErrors.notFound();
    const rows = await this.invitations.listForAppointment(a.id);
    return { items: rows.map(toInvitationResponse), nextCursor: null };
  }

  // Revoking ends the holder's sessions (their sockets are cut on every instance) and takes a
  // guest, interpreter or companion out of the room; a patient invitee stays the appointment's
  // patient and may be invited again. Revoking twice changes nothing.
  async revoke(actor: AuthUser, id: string, meta: RequestMeta): Promise<void> {
    const done = await this.dataSource.transaction(async (m) => {
      const invitation = await this.invitations.findByIdForUpdate(id, m);
      const a = invitation ? await this.appointments.findById(invitation.appointmentId, m) : null;
      if (!invitation || !a || !this.manages(actor, a)) throw InvitationErrors.notFound();
      if (invitation.revokedAt) return null;
      invitation.revokedAt = new Date();
      invitation.revokedBy = actor.id;
      await this.invitations.save(invitation, m);
      await this.notices.invitationRevoked(invitation.id, m);
      const ended = await this.sessions.revokeAllForUser(
        invitation.guestId,
        'invitation_revoked',
        m,
      );
      const after =
        invitation.role === InvitationRole.Patient
          ? []
          : await this.rooms.removeGuest(
              a.roomId,
              invitation.guestId,
              { id: actor.id, role: actor.role },
              m,
            );
      await this.audit.record(
        {
          action: AuditAction.InvitationRevoke,
          outcome: AuditOutcome.Success,
          actor: auditActor(actor, meta),
          resource: { type: 'invitation', id: invitation.id },
          subjectId: invitation.guestId,
          requestId: meta.requestId,
          details: { appointmentId: a.id, role: invitation.role, sessionsEnded: ended.length },
        },
        m,
      );
      return { ended, guestId: invitation.guestId, after };
    });
    if (!done) return;
    for (const run of done.after) run();
    await this.sessions.propagate(done.ended, done.guestId);
  }

  // The link's token, inside the window, on the device that first redeemed it: a guest grant.
  async redeem(
    dto: RedeemInvitationRequest,
    meta: RequestMeta,
    now = new Date(),
  ): Promise<RedeemInvitationResponse> {
    type Outcome = { refused: AppException } | { answer: RedeemInvitationResponse };
    const outcome = await this.dataSource.transaction(async (m): Promise<Outcome> => {
      const invitation = await this.invitations.findByTokenHashForUpdate(sha256Hex(dto.token), m);
      if (!invitation || invitation.revokedAt) throw InvitationErrors.invalidLink();
      const a = await this.appointments.findById(invitation.appointmentId, m);
      if (!a) throw InvitationErrors.invalidLink();
      const guest: AuthUser = { id: invitation.guestId, role: Role.Guest, sessionId: '' };
      const window = invitationWindow(
        a,
        this.config.appointments.invitationEarlyMinutes,
        this.config.appointments.invitationGraceMinutes,
      );
      const position = LIVE.has(a.status) ? windowPosition(window, now) : 'late';
      if (position !== 'open') {
        await this.refused(guest, invitation, meta, 'outside_window', m);
        return { refused: InvitationErrors.outsideWindow(window, position) };
      }
      let deviceSecret: string | undefined;
      if (invitation.deviceHash === null) {
        deviceSecret = newOpaqueToken();
        invitation.deviceHash = sha256Hex(deviceSecret);
        invitation.redeemedAt = now;
        await this.invitations.save(invitation, m);
      } else if (!dto.deviceSecret || sha256Hex(dto.deviceSecret) !== invitation.deviceHash) {
        await this.refused(guest, invitation, meta, 'other_device', m);
        return { refused: InvitationErrors.otherDevice() };
      }
      const holder = await this.users.findById(invitation.guestId, m);
      if (!holder) throw InvitationErrors.invalidLink();
      const { session } = await this.sessions.open(holder.id, meta, m);
      const grant = await this.tokens.issue({
        userId: holder.id,
        role: Role.Guest,
        sessionId: session.id,
        mfaEnrolled: false,
      });
      await this.audit.record(
        {
          action: AuditAction.InvitationRedeem,
          outcome: AuditOutcome.Success,
          actor: auditActor({ ...guest, sessionId: session.id }, meta),
          resource: { type: 'invitation', id: invitation.id },
          subjectId: holder.id,
          requestId: meta.requestId,
          details: {
            appointmentId: a.id,
            role: invitation.role,
            firstDevice: deviceSecret !== undefined,
          },
        },
        m,
      );
      await this.webhooks.publish(m, 'invitation.redeemed', {
        invitationId: invitation.id,
        appointmentId: a.id,
        roomId: a.roomId,
        guestId: holder.id,
        role: invitation.role,
      });
      const answer: RedeemInvitationResponse = {
        accessToken: grant.token,
        expiresIn: grant.expiresIn,
        roomId: a.roomId,
        appointmentId: a.id,
        role: invitation.role,
        displayName: holder.displayName,
        guestId: holder.id,
        validUntil: window.closesAt.toISOString(),
        ...(deviceSecret ? { deviceSecret } : {}),
      };
      return { answer };
    });
    // A refusal is thrown after its audit record committed.
    if ('refused' in outcome) throw outcome.refused;
    return outcome.answer;
  }

  // "Resend my link": every current invitation to that address gets a fresh token (the old
  // link stops working; the device binding stays) and a new message. The answer is the same
  // whether or not anything was found, so nobody learns who has an appointment.
  async resend(dto: ResendInvitationRequest, now = new Date()): Promise<void> {
    if ((dto.email === undefined) === (dto.phone === undefined))
      throw InvitationErrors.resendTarget();
    const address =
      dto.email !== undefined ? { email: dto.email } : { phone: this.phone(dto.phone as string) };
    await this.dataSource.transaction(async (m) => {
      const current = await this.invitations.currentForAddress(
        address,
        now,
        this.config.appointments.invitationGraceMinutes,
        m,
      );
      for (const invitation of current) {
        if (
          invitation.lastSentAt &&
          now.getTime() - invitation.lastSentAt.getTime() < RESEND_COOLDOWN_MS
        )
          continue;
        const a = (await this.appointments.findById(
          invitation.appointmentId,
          m,
        )) as AppointmentEntity;
        const token = newOpaqueToken();
        invitation.tokenHash = sha256Hex(token);
        invitation.lastSentAt = now;
        await this.invitations.save(invitation, m);
        await this.notices.invitation(a, invitation, token, m, { reminders: false });
        await this.audit.record(
          {
            action: AuditAction.InvitationSend,
            outcome: AuditOutcome.Success,
            actor: { userId: null, role: null },
            resource: { type: 'invitation', id: invitation.id },
            subjectId: invitation.guestId,
            details: { appointmentId: a.id, reason: 'resend' },
          },
          m,
        );
      }
    });
  }

  // Retention (docs/compliance.md): invitations of appointments that ended before `before`
  // keep no way to reach their invitee and no usable link. Answers how many changed.
  scrubEndedBefore(before: Date, m: EntityManager): Promise<number> {
    return this.invitations.scrubEndedBefore(before, m);
  }

  // Writes the invitation with a fresh token and queues its message, in the caller's
  // transaction.
  private async issue(
    actor: AuthUser,
    meta: RequestMeta,
    a: AppointmentEntity,
    guestId: string,
    role: InvitationRole,
    dto: InviteeRequest,
    reach: { email: string | null; phone: string | null },
    m: EntityManager,
    now: Date,
  ): Promise<InvitationEntity> {
    const token = newOpaqueToken();
    const invitation = await this.invitations.insert(
      {
        appointmentId: a.id,
        guestId,
        role,
        name: dto.name,
        email: reach.email,
        phone: reach.phone,
        locale: dto.locale ?? null,
        tokenHash: sha256Hex(token),
        lastSentAt: now,
        createdBy: actor.id,
      },
      m,
    );
    await this.notices.invitation(a, invitation, token, m, { now });
    await this.audit.record(
      {
        action: AuditAction.InvitationCreate,
        outcome: AuditOutcome.Success,
        actor: auditActor(actor, meta),
        resource: { type: 'invitation', id: invitation.id },
        subjectId: guestId,
        requestId: meta.requestId,
        details: { appointmentId: a.id, role, channel: reach.email ? 'email' : 'sms' },
      },
      m,
    );
    return invitation;
  }

  private async refused(
    guest: AuthUser,
    invitation: InvitationEntity,
    meta: RequestMeta,
    reason: string,
    m: EntityManager,
  ): Promise<void> {
    await this.audit.record(
      {
        action: AuditAction.InvitationRedeem,
        outcome: AuditOutcome.Denied,
        actor: auditActor(guest, meta),
        resource: { type: 'invitation', id: invitation.id },
        subjectId: guest.id,
        requestId: meta.requestId,
        details: { appointmentId: invitation.appointmentId, reason },
      },
      m,
    );
  }

  // The clinician of the appointment and admins manage its invitations.
  private manages(actor: AuthUser, a: AppointmentEntity): boolean {
    return actor.role === Role.Admin || (actor.role === Role.Doctor && actor.id === a.clinicianId);
  }

  private reach(dto: InviteeRequest): { email: string | null; phone: string | null } {
    if (dto.email === undefined && dto.phone === undefined) throw InvitationErrors.noReach();
    return {
      email: dto.email ?? null,
      phone: dto.phone === undefined ? null : this.phone(dto.phone),
    };
  }

  private phone(raw: string): string {
    const phone = normalizePhone(raw, this.config.sms.defaultCountry as CountryCode);
    if (!phone) throw InvitationErrors.badPhone();
    return phone;
  }
}
