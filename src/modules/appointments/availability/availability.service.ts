import { Injectable } from '@nestjs/common';
import { DEFAULT_PAGE_SIZE } from '../../../common/http/cursor';
import { isUuid } from '../../../common/validation/ids';
import { DataSource } from 'typeorm';
import { auditActor, type AuthUser } from '../../../common/auth/auth-user';
import { Role } from '../../../common/auth/role';
import { AppException } from '../../../common/errors/app.exception';
import type { RequestMeta } from '../../../common/http/request-meta';
import { AuditAction, AuditOutcome } from '../../audit/audit-action';
import { AuditService } from '../../audit/audit.service';
import { UserStatus } from '../../users/user.entity';
import { UsersService } from '../../users/users.service';
import { toAvailabilityResponse } from './availability.mapper';
import { AppointmentsRepository } from '../booking/appointments.repository';
import { AvailabilityRepository } from './availability.repository';
import type {
  AvailabilityResponse,
  ClinicianDirectoryQuery,
  ClinicianDirectoryResponse,
  PutAvailabilityRequest,
  SlotListResponse,
  SlotsQuery,
} from './dto/availability.dto';
import { freeSlots, type WorkingHours, workingHoursProblem } from './slot-calendar';

// The longest window one slots request may ask for.
export const MAX_SLOT_WINDOW_DAYS = 31;

// A clinician's working hours and the free slots they leave (docs/appointments.md).
@Injectable()
export class AvailabilityService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly availability: AvailabilityRepository,
    private readonly appointments: AppointmentsRepository,
    private readonly users: UsersService,
    private readonly audit: AuditService,
  ) {}

  async put(
    actor: AuthUser,
    body: PutAvailabilityRequest,
    meta: RequestMeta,
  ): Promise<AvailabilityResponse> {
    const hours: WorkingHours = {
      timezone: body.timezone,
      slotMinutes: body.slotMinutes,
      weekly: body.weekly.map((w) => ({ weekday: w.weekday, start: w.start, end: w.end })),
      exceptions: (body.exceptions ?? []).map((e) =>
        e.start === undefined && e.end === undefined
          ? { date: e.date }
          : { date: e.date, start: e.start, end: e.end },
      ),
    };
    const problem = workingHoursProblem(hours);
    if (problem)
      throw AppException.validation([{ field: problem.split(' ')[0], messages: [problem] }]);
    return this.dataSource.transaction(async (m) => {
      const saved = await this.availability.put(
        {
          clinicianId: actor.id,
          timezone: hours.timezone,
          slotMinutes: hours.slotMinutes,
          weekly: [...hours.weekly],
          exceptions: [...hours.exceptions],
        },
        m,
      );
      await this.audit.record(
        {
          action: AuditAction.AvailabilityUpdate,
          outcome: AuditOutcome.Success,
          actor: auditActor(actor, meta),
          resource: { type: 'clinician_availability', id: actor.id },
          requestId: meta.requestId,
          details: {
            timezone: hours.timezone,
            slotMinutes: hours.slotMinutes,
            weeklyRanges: hours.weekly.length,
            exceptions: hours.exceptions.length,
          },
        },
        m,
      );
      return toAvailabilityResponse(saved);
    });
  }

  async mine(actor: AuthUser): Promise<AvailabilityResponse> {
    const found = await this.availability.find(actor.id);
    if (!found) throw AppException.notFound('Working hours');
    return toAvailabilityResponse(found);
  }

  // The clinicians a patient can book with: active doctors who published hours. A page may
  // hold fewer than `limit` when some of its clinicians are no longer active; `nextCursor`
  // says whether more follow.
  async directory(query: ClinicianDirectoryQuery): Promise<ClinicianDirectoryResponse> {
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const rows = await this.availability.page(decodeDirectoryCursor(query.cursor), limit + 1);
    const page = rows.slice(0, limit);
    const people = new Map(
      (await this.users.findByIds(page.map((r) => r.clinicianId)))
        .filter((u) => u.role === Role.Doctor && u.status === UserStatus.Active)
        .map((u) => [u.id, u]),
    );
    const items = page.flatMap((r) => {
      const person = people.get(r.clinicianId);
      return person
        ? [
            {
              id: r.clinicianId,
              displayName: person.displayName,
              timezone: r.timezone,
              slotMinutes: r.slotMinutes,
            },
          ]
        : [];
    });
    const last = page.at(-1);
    return {
      items,
      nextCursor:
        rows.length > limit && last ? Buffer.from(last.clinicianId).toString('base64url') : null,
    };
  }

  // Free slots of an active doctor. Anybody signed in may ask: slots say when a clinician
  // works, nothing about who is seen then.
  async slots(clinicianId: string, query: SlotsQuery, now = new Date()): Promise<SlotListResponse> {
    const span = query.to.getTime() - query.from.getTime();
    if (span <= 0)
      throw AppException.validation([{ field: 'to', messages: ['to must be after from'] }]);
    if (span > MAX_SLOT_WINDOW_DAYS * 86_400_000)
      throw AppException.validation([
        { field: 'to', messages: [`the window may span at most ${MAX_SLOT_WINDOW_DAYS} days`] },
      ]);
    const clinician = await this.users.findById(clinicianId);
    if (!clinician || clinician.role !== Role.Doctor || clinician.status !== UserStatus.Active)
      throw AppException.notFound('The clinician');
    const slots = await this.freeSlotsOf(clinicianId, query.from, query.to, { now });
    return {
      items: slots.map((s) => ({ start: s.start.toISOString(), end: s.end.toISOString() })),
      nextCursor: null,
    };
  }

  // The clinician's free slots in [from, to): working hours minus live appointments, minus the
  // past. `ignoring` leaves one appointment's own time free (moving it); `hoursOnly` leaves
  // every appointment out (is this time a slot at all?).
  async freeSlotsOf(
    clinicianId: string,
    from: Date,
    to: Date,
    options: { now?: Date; ignoring?: string; hoursOnly?: boolean } = {},
  ): Promise<{ start: Date; end: Date }[]> {
    const hours = await this.availability.find(clinicianId);
    if (!hours) return [];
    const busy = options.hoursOnly
      ? []
      : await this.appointments.busy(clinicianId, from, to, options.ignoring);
    return freeSlots(hours, { start: from, end: to }, busy, options.now ?? new Date());
  }
}

function decodeDirectoryCursor(cursor: string | undefined): string | undefined {
  if (cursor === undefined) return undefined;
  const id = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!isUuid(id))
    throw AppException.validation([{ field: 'cursor', messages: ['cursor is not valid'] }]);
  return id;
}
