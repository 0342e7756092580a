// Over 400 lines on purpose: every change to an appointment (book, confirm, move, cancel,
// check-in, no-show, complete, the no-show sweep) goes through one lock-check-apply-record
// path, which would be copied if the acts were split (docs/appointments.md).
import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { auditActor, type AuthUser } from '../../../common/auth/auth-user';
import { Role } from '../../../common/auth/role';
import { decodeCursor, DEFAULT_PAGE_SIZE, encodeCursor } from '../../../common/http/cursor';
import type { RequestMeta } from '../../../common/http/request-meta';
import { AppConfig } from '../../../config/app-config';
import { AuditAction, AuditOutcome } from '../../audit/audit-action';
import { AuditService } from '../../audit/audit.service';
import { CareService } from '../../care/care.service';
import { RoomsService } from '../../rooms/rooms.service';
import { UserStatus } from '../../users/user.entity';
import { UsersService } from '../../users/users.service';
import type { WebhookEvent } from '../../webhooks/webhook-events';
import { WebhooksService } from '../../webhooks/webhooks.service';
import { AvailabilityService } from '../availability/availability.service';
import { QueueEvents } from '../queue/queue-events';
import type { InviteeRequest } from '../invitations/dto/invitation.dto';
import { InvitationsService } from '../invitations/invitations.service';
import { AppointmentNotices } from './appointment-notices';
import { type AppointmentAct, nextStatus } from './appointment-state';
import { type AppointmentEntity, AppointmentStatus } from './appointment.entity';
import { toAppointmentResponse } from './appointment.mapper';
import { AppointmentErrors } from './appointments.errors';
import { AppointmentsRepository, SlotTakenError } from './appointments.repository';
import type {
  AppointmentListResponse,
  AppointmentResponse,
  BookAppointmentRequest,
  CancelAppointmentRequest,
  CompleteAppointmentRequest,
  ListAppointmentsQuery,
  RescheduleAppointmentRequest,
} from './dto/appointment.dto';
import type { PrecheckRequest, TransferAppointmentRequest } from '../queue/dto/queue.dto';

// The server's own acts (the no-show sweep): no user, no request.
const SYSTEM = { id: null, role: null };
const NO_META: RequestMeta = { ip: null, userAgent: null, requestId: null };

// A clinician's own booking may be this short or this long (a patient's is one slot).
const MIN_MINUTES = 5;
const MAX_MINUTES = 240;

const AUDIT: Record<AppointmentAct | 'book', AuditAction> = {
  book: AuditAction.AppointmentBook,
  confirm: AuditAction.AppointmentConfirm,
  reschedule: AuditAction.AppointmentReschedule,
  cancel: AuditAction.AppointmentCancel,
  check_in: AuditAction.AppointmentCheckIn,
  admit: AuditAction.AppointmentAdmit,
  no_show: AuditAction.AppointmentNoShow,
  complete: AuditAction.AppointmentComplete,
  transfer: AuditAction.AppointmentTransfer,
  precheck: AuditAction.AppointmentPrecheck,
};

// The statuses that put an appointment in its clinician's queue or in the consultation its
// estimates count from: a change to or from one of them changes the queue.
const QUEUED = new Set<AppointmentStatus>([
  AppointmentStatus.CheckedIn,
  AppointmentStatus.InConsultation,
]);

const EVENTS: Partial<Record<AppointmentAct | 'book', WebhookEvent>> = {
  book: 'appointment.booked',
  reschedule: 'appointment.rescheduled',
  cancel: 'appointment.cancelled',
  check_in: 'appointment.checked_in',
  no_show: 'appointment.no_show',
  complete: 'appointment.completed',
};

// Appointments (docs/appointments.md): booked into a clinician's diary, each with its own
// consultation room. A patient's booking (or confirmation) is the act that makes the care
// relationship (docs/access-model.md); the database forbids double booking.
@Injectable()
export class AppointmentsService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly appointments: AppointmentsRepository,
    private readonly availability: AvailabilityService,
    private readonly rooms: RoomsService,
    private readonly care: CareService,
    private readonly users: UsersService,
    private readonly webhooks: WebhooksService,
    private readonly audit: AuditService,
    private readonly notices: AppointmentNotices,
    private readonly invitations: InvitationsService,
    private readonly config: AppConfig,
    private readonly queue: QueueEvents,
  ) {}

  async book(
    actor: AuthUser,
    dto: BookAppointmentRequest,
    meta: RequestMeta,
    now = new Date(),
  ): Promise<AppointmentResponse> {
    const byPatient = actor.role === Role.Patient;
    if (byPatient && dto.patientId !== undefined && dto.patientId !== actor.id)
      throw AppointmentErrors.forOthers();
    if (actor.role === Role.Doctor && dto.clinicianId !== actor.id)
      throw AppointmentErrors.forOthers();
    if (dto.invitee && (byPatient || dto.patientId !== undefined))
      throw AppointmentErrors.inviteeOrPatient();
    const invitee = dto.invitee;
    const accountId = byPatient ? actor.id : dto.patientId;
    if (!accountId && !invitee) throw AppointmentErrors.patientRequired();
    const ids = accountId ? [dto.clinicianId, accountId] : [dto.clinicianId];
    const [clinician, patient] = await this.users
      .findByIds(ids)
      .then((found) => ids.map((id) => found.find((u) => u.id === id)));
    if (!clinician || clinician.role !== Role.Doctor || clinician.status !== UserStatus.Active)
      throw AppointmentErrors.unknownClinician();
    if (
      accountId &&
      (!patient || patient.role !== Role.Patient || patient.status !== UserStatus.Active)
    )
      throw AppointmentErrors.unknownPatient();
    await this.checkTime(byPatient, dto.clinicianId, dto.start, dto.end, now);

    return this.inTransaction(async (m) => {
      // An invitee is a guest actor made for this appointment; it has no way to accept the
      // room's invitation, so it is an active member from the start (the waiting room still
      // holds it until admitted).
      const patientId =
        accountId ?? (await this.invitations.createInviteePatient(invitee as InviteeRequest, m)).id;
      const room = await this.rooms.createForAppointment(
        {
          name: `Appointment ${dto.start.toISOString().slice(0, 16).replace('T', ' ')} UTC`,
          hostId: dto.clinicianId,
          patientId,
          patientActive: byPatient || !accountId,
        },
        m,
      );
      const booked = await this.appointments.insert(
        {
          clinicianId: dto.clinicianId,
          patientId,
          roomId: room.id,
          startAt: dto.start,
          endAt: dto.end,
          reason: dto.reason ?? null,
          bookedBy: actor.id,
          confirmedAt: byPatient ? now : null,
        },
        m,
      );
      if (byPatient)
        await this.care.beginFromAppointment(
          { roomId: room.id, clinicianId: dto.clinicianId, patient: actor },
          m,
        );
      await this.record(actor, meta, 'book', booked, m, {
        bookedBy: actor.role,
        ...(invitee ? { invitee: true } : {}),
      });
      await this.notices.booked(booked, m, now);
      if (invitee) await this.invitations.inviteBookedPatient(actor, meta, booked, invitee, m, now);
      return toAppointmentResponse(booked, true);
    });
  }

  async get(actor: AuthUser, id: string): Promise<AppointmentResponse> {
    const found = await this.appointments.findById(id);
    if (!found || !this.visible(actor, found)) throw AppointmentErrors.notFound();
    return toAppointmentResponse(found, isParty(actor, found));
  }

  async list(actor: AuthUser, query: ListAppointmentsQuery): Promise<AppointmentListResponse> {
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const rows = await this.appointments.listPage(
      {
        partyId: actor.role === Role.Admin ? undefined : actor.id,
        clinicianId: query.clinicianId,
        patientId: query.patientId,
        status: query.status,
        from: query.from,
        to: query.to,
      },
      decodeCursor(query.cursor),
      limit + 1,
    );
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return {
      items: page.map((a) => toAppointmentResponse(a, isParty(actor, a))),
      nextCursor:
        rows.length > limit && last ? encodeCursor({ at: last.startAt, id: last.id }) : null,
    };
  }

  // The patient's yes to a clinician's booking: their room membership becomes active and the
  // care relationship begins. Confirming twice changes nothing.
  confirm(actor: AuthUser, id: string, meta: RequestMeta, now = new Date()) {
    return this.act(actor, id, 'confirm', meta, async (a, m) => {
      if (a.patientId !== actor.id) throw AppointmentErrors.notAllowed('confirm', a.status);
      if (a.confirmedAt) return false;
      await this.confirmWithin(a, actor, now, m);
      return undefined;
    });
  }

  async reschedule(
    actor: AuthUser,
    id: string,
    dto: RescheduleAppointmentRequest,
    meta: RequestMeta,
    now = new Date(),
  ): Promise<AppointmentResponse> {
    const current = await this.appointments.findById(id);
    if (!current || !this.visible(actor, current)) throw AppointmentErrors.notFound();
    await this.checkTime(
      actor.role === Role.Patient,
      current.clinicianId,
      dto.start,
      dto.end,
      now,
      id,
    );
    return this.act(actor, id, 'reschedule', meta, (a) => {
      const from = { start: a.startAt.toISOString(), end: a.endAt.toISOString() };
      a.startAt = dto.start;
      a.endAt = dto.end;
      return Promise.resolve({ from });
    });
  }

  cancel(actor: AuthUser, id: string, dto: CancelAppointmentRequest, meta: RequestMeta) {
    return this.act(actor, id, 'cancel', meta, async (a, m, after) => {
      a.cancelledAt = new Date();
      a.cancelledBy = actor.id;
      a.cancelReason = dto.reason;
      await this.closeRoom(a, actor, 'appointment-cancelled', m, after);
      return { by: actor.role };
    });
  }

  // The patient (or the clinician or an admin for them) says they are here. Check-in opens
  // INVITATION_EARLY_MINUTES before the start, when the links do (docs/appointments.md); a
  // patient's check-in also confirms.
  checkIn(actor: AuthUser, id: string, meta: RequestMeta, now = new Date()) {
    const early = this.config.appointments.invitationEarlyMinutes;
    return this.act(actor, id, 'check_in', meta, async (a, m) => {
      const opens = a.startAt.getTime() - early * 60_000;
      if (now.getTime() < opens || now.getTime() >= a.endAt.getTime())
        throw AppointmentErrors.checkInClosed(early);
      if (!a.confirmedAt && actor.id === a.patientId) await this.confirmWithin(a, actor, now, m);
      a.checkedInAt ??= now;
      return undefined;
    });
  }

  noShow(actor: AuthUser, id: string, meta: RequestMeta, now = new Date()) {
    return this.act(actor, id, 'no_show', meta, async (a, m, after) => {
      if (actor.id === a.patientId) throw AppointmentErrors.notAllowed('no_show', a.status);
      if (now.getTime() < a.startAt.getTime()) throw AppointmentErrors.tooEarlyForNoShow();
      await this.closeRoom(a, actor, 'appointment-no-show', m, after);
      return undefined;
    });
  }

  complete(actor: AuthUser, id: string, dto: CompleteAppointmentRequest, meta: RequestMeta) {
    return this.act(actor, id, 'complete', meta, async (a, m, after) => {
      if (actor.id !== a.clinicianId) throw AppointmentErrors.notAllowed('complete', a.status);
      a.completedAt = new Date();
      a.outcome = dto.outcome ?? null;
      await this.closeRoom(a, actor, 'appointment-completed', m, after);
      return undefined;
    });
  }

  // The clinician of the appointment or an admin moves a booked or waiting appointment to
  // another clinician's diary and queue; its place is again by its time and arrival there. The
  // new clinician must be free at that time (409 otherwise, as any booking).
  transfer(actor: AuthUser, id: string, dto: TransferAppointmentRequest, meta: RequestMeta) {
    return this.act(actor, id, 'transfer', meta, async (a, m, after) => {
      if (actor.role !== Role.Admin && actor.id !== a.clinicianId)
        throw AppointmentErrors.notAllowed('transfer', a.status);
      if (dto.clinicianId === a.clinicianId) return false;
      const [target] = await this.users.findByIds([dto.clinicianId], m);
      if (!target || target.role !== Role.Doctor || target.status !== UserStatus.Active)
        throw AppointmentErrors.unknownClinician();
      const from = a.clinicianId;
      await this.rooms.changeAppointmentHost(a.roomId, from, target.id, m);
      a.clinicianId = target.id;
      after.push(() => this.queue.changed.next({ clinicianId: from }));
      return { from, to: target.id };
    });
  }

  // The waiting patient's device reports its pre-call check (camera, microphone, connection);
  // the clinician sees it beside their place in the queue. The details are never audited.
  precheck(actor: AuthUser, id: string, dto: PrecheckRequest, meta: RequestMeta, now = new Date()) {
    return this.act(actor, id, 'precheck', meta, (a) => {
      if (actor.id !== a.patientId) throw AppointmentErrors.notAllowed('precheck', a.status);
      a.precheckPassed = dto.passed;
      a.precheckAt = now;
      a.precheckDetails = dto.details ?? null;
      return Promise.resolve({ passed: dto.passed });
    });
  }

  // Retention (docs/compliance.md): closed appointments that ended before `before` go.
  destroyClosedBefore(before: Date, m: EntityManager): Promise<number> {
    return this.appointments.deleteClosedBefore(before, m);
  }

  // Booked appointments nobody checked in to, APPOINTMENT_NO_SHOW_MINUTES after their start,
  // become no-shows by themselves (their rooms close). Several instances may sweep at once:
  // each claims different rows. Returns how many it marked.
  async sweepNoShows(now = new Date(), batch = 50): Promise<number> {
    const before = new Date(now.getTime() - this.config.appointments.noShowMinutes * 60_000);
    let total = 0;
    for (;;) {
      const marked = await this.inTransaction(async (m, after) => {
        const overdue = await this.appointments.claimOverdue(before, batch, m);
        for (const a of overdue) {
          a.status = AppointmentStatus.NoShow;
          after.push(...(await this.rooms.closeWithin(a.roomId, SYSTEM, 'appointment-no-show', m)));
          const saved = await this.appointments.save(a, m);
          await this.record(null, NO_META, 'no_show', saved, m, { automatic: true });
        }
        return overdue.length;
      });
      total += marked;
      if (marked < batch) return total;
    }
  }

  // The host let the patient of a checked-in appointment in from its room's waiting room
  // (AppointmentAdmissions, inside the admitting transaction): the appointment is now in
  // consultation, audited as the host's act.
  async admittedWithin(
    admission: { roomId: string; userId: string; host: AuthUser },
    m: EntityManager,
  ): Promise<void> {
    const admitted = await this.appointments.admitWithin(admission.roomId, admission.userId, m);
    if (!admitted) return;
    await this.record(admission.host, NO_META, 'admit', admitted, m);
  }

  // One act on one appointment: lock it, check the caller and the move, apply, save, audit,
  // publish. `apply` may refuse, changes the entity, and answers the audit details (false:
  // nothing changed, nothing recorded).
  private async act(
    actor: AuthUser,
    id: string,
    act: AppointmentAct,
    meta: RequestMeta,
    apply: (
      a: AppointmentEntity,
      m: EntityManager,
      after: (() => void)[],
    ) => Promise<Record<string, unknown> | false | undefined>,
  ): Promise<AppointmentResponse> {
    return this.inTransaction(async (m, after) => {
      const a = await this.appointments.findByIdForUpdate(id, m);
      if (!a || !this.visible(actor, a)) throw AppointmentErrors.notFound();
      const next = nextStatus(a.status, act);
      if (!next) throw AppointmentErrors.notAllowed(act, a.status);
      const details = await apply(a, m, after);
      if (details === false) return toAppointmentResponse(a, isParty(actor, a));
      const queued = QUEUED.has(a.status) || QUEUED.has(next);
      a.status = next;
      const saved = await this.appointments.save(a, m);
      if (queued) after.push(() => this.queue.changed.next({ clinicianId: saved.clinicianId }));
      await this.record(actor, meta, act, saved, m, details);
      if (act === 'reschedule' || act === 'cancel') await this.notices.changed(saved, actor.id, m);
      return toAppointmentResponse(saved, isParty(actor, saved));
    });
  }

  private async confirmWithin(
    a: AppointmentEntity,
    patient: AuthUser,
    now: Date,
    m: EntityManager,
  ): Promise<void> {
    await this.rooms.activateMember(a.roomId, patient.id, m);
    // A patient without an account (an invitee's guest actor) has no record to relate to.
    if (patient.role !== Role.Guest)
      await this.care.beginFromAppointment(
        { roomId: a.roomId, clinicianId: a.clinicianId, patient },
        m,
      );
    a.confirmedAt = now;
  }

  private async closeRoom(
    a: AppointmentEntity,
    actor: AuthUser,
    reason: string,
    m: EntityManager,
    after: (() => void)[],
  ): Promise<void> {
    after.push(
      ...(await this.rooms.closeWithin(a.roomId, { id: actor.id, role: actor.role }, reason, m)),
    );
  }

  // A transaction whose after-commit work (telling the sockets of closed rooms) runs once it
  // has committed; the exclusion constraint's refusal becomes 409.
  private async inTransaction<T>(
    work: (m: EntityManager, after: (() => void)[]) => Promise<T>,
  ): Promise<T> {
    const after: (() => void)[] = [];
    let result: T;
    try {
      result = await this.dataSource.transaction((m) => work(m, after));
    } catch (error) {
      if (error instanceof SlotTakenError) throw AppointmentErrors.slotTaken();
      throw error;
    }
    for (const run of after) run();
    return result;
  }

  // A patient books one free slot exactly; a clinician or admin any time in the future of a
  // sensible length (overlaps are the database's to refuse).
  private async checkTime(
    byPatient: boolean,
    clinicianId: string,
    start: Date,
    end: Date,
    now: Date,
    ignoring?: string,
  ): Promise<void> {
    const minutes = (end.getTime() - start.getTime()) / 60_000;
    if (minutes < MIN_MINUTES || minutes > MAX_MINUTES)
      throw AppointmentErrors.badTime(
        `an appointment lasts ${MIN_MINUTES} to ${MAX_MINUTES} minutes, end after start`,
      );
    if (start.getTime() <= now.getTime())
      throw AppointmentErrors.badTime('an appointment cannot start in the past');
    if (!byPatient) return;
    const isSlot = (slots: { start: Date; end: Date }[]) =>
      slots.some((s) => s.start.getTime() === start.getTime() && s.end.getTime() === end.getTime());
    if (isSlot(await this.availability.freeSlotsOf(clinicianId, start, end, { now, ignoring })))
      return;
    // A slot of the clinician's hours that somebody else holds is a conflict, as when two
    // bookings race to the database; anything else is not a slot at all.
    const hours = await this.availability.freeSlotsOf(clinicianId, start, end, {
      now,
      hoursOnly: true,
    });
    throw isSlot(hours) ? AppointmentErrors.slotTaken() : AppointmentErrors.notAFreeSlot();
  }

  // The two parties and admins see an appointment; anyone else gets 404.
  private visible(actor: AuthUser, a: AppointmentEntity): boolean {
    return actor.role === Role.Admin || isParty(actor, a);
  }

  private async record(
    actor: AuthUser | null,
    meta: RequestMeta,
    act: AppointmentAct | 'book',
    a: AppointmentEntity,
    m: EntityManager,
    details: Record<string, unknown> = {},
  ): Promise<void> {
    await this.audit.record(
      {
        action: AUDIT[act],
        outcome: AuditOutcome.Success,
        actor: auditActor(actor, meta),
        resource: { type: 'appointment', id: a.id },
        subjectId: a.patientId,
        requestId: meta.requestId,
        details: {
          ...details,
          clinicianId: a.clinicianId,
          status: a.status,
          start: a.startAt.toISOString(),
          end: a.endAt.toISOString(),
        },
      },
      m,
    );
    const event = EVENTS[act];
    if (event)
      await this.webhooks.publish(m, event, {
        appointmentId: a.id,
        clinicianId: a.clinicianId,
        patientId: a.patientId,
        roomId: a.roomId,
        status: a.status,
        start: a.startAt.toISOString(),
        end: a.endAt.toISOString(),
      });
  }
}

function isParty(actor: AuthUser, a: AppointmentEntity): boolean {
  return actor.id === a.patientId || actor.id === a.clinicianId;
}
