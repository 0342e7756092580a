import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager, QueryFailedError } from 'typeorm';
import { auditActor, type AuthUser } from '../../common/auth/auth-user';
import { Role } from '../../common/auth/role';
import { hashPassword } from '../../common/crypto/password-hasher';
import type { PersonalDataSubject } from '../../common/personal-data/personal-data.contributor';
import { AppException } from '../../common/errors/app.exception';
import type { RequestMeta } from '../../common/http/request-meta';
import { AuditAction, AuditOutcome } from '../audit/audit-action';
import { AuditService } from '../audit/audit.service';
import { type UserResponse, toUserResponse } from './dto/user.response';
import type {
  AdminUpdateUserRequest,
  CreateUserRequest,
  ListUsersQuery,
  UpdateMeRequest,
  UserListResponse,
} from './dto/users.dto';
import { PatientProfileService } from './patient-profile/patient-profile.service';
import { passwordProblems } from '../../common/auth/password-policy/password-policy';
import { UserSessionsPort } from './ports/user-sessions.port';
import { UserAccessPolicy } from './user-access.policy';
import { type Locale, type UserEntity, UserStatus } from './user.entity';
import { UsersErrors } from './users.errors';
import { UsersRepository } from './users.repository';

export interface NewAccount {
  email: string;
  password: string;
  displayName: string;
  role: Role;
  locale?: Locale | null;
  // False for a self-registration that must still verify its address (docs/auth.md).
  emailVerified?: boolean;
}

const DEFAULT_LIMIT = 50;

function isUniqueViolation(error: unknown): boolean {
  return (
    error instanceof QueryFailedError &&
    (error.driverError as { code?: unknown } | undefined)?.code === '23505'
  );
}

function encodeCursor(id: string): string {
  return Buffer.from(id, 'utf8').toString('base64url');
}

function decodeCursor(cursor: string): string {
  const id = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(id)) {
    throw AppException.validation([{ field: 'cursor', messages: ['cursor is not valid'] }]);
  }
  return id;
}

@Injectable()
export class UsersService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly users: UsersRepository,
    private readonly audit: AuditService,
    private readonly access: UserAccessPolicy,
    private readonly sessions: UserSessionsPort,
    private readonly profiles: PatientProfileService,
  ) {}

  // Creates an account after the password policy; the caller owns the transaction (and
  // records the audit event that goes with it).
  async createAccount(input: NewAccount, manager: EntityManager): Promise<UserEntity> {
    this.checkPassword(input.password, input.email);
    const passwordHash = await hashPassword(input.password);
    try {
      return await this.users.insert(
        {
          email: input.email,
          passwordHash,
          displayName: input.displayName,
          role: input.role,
          locale: input.locale ?? null,
          emailVerifiedAt: input.emailVerified === false ? null : new Date(),
        },
        manager,
      );
    } catch (error) {
      if (isUniqueViolation(error)) throw UsersErrors.emailTaken();
      throw error;
    }
  }

  // A guest actor (docs/auth.md, "Guest grant"): the person an invitation link lets into one
  // appointment's room, named in presence and in the audit trail like anyone else. It cannot
  // sign in: its address is a unique name under the reserved `.invalid` domain (RFC 2606), never
  // written to, and its password hash is no hash at all, so every password check fails.
  createGuest(
    input: { displayName: string; locale: Locale | null },
    manager: EntityManager,
  ): Promise<UserEntity> {
    return this.users.insert(
      {
        email: `guest-${randomUUID()}@guest.invalid`,
        passwordHash: '!guest',
        displayName: input.displayName,
        role: Role.Guest,
        locale: input.locale,
        emailVerifiedAt: null,
      },
      manager,
    );
  }

  // Throws VALIDATION_FAILED naming the password field when the policy refuses it.
  // Lookups for the modules above users (rooms, care, calls, appointments, break-glass).
  findById(id: string, manager?: EntityManager): Promise<UserEntity | null> {
    return this.users.findById(id, manager);
  }

  findByIds(ids: readonly string[], manager?: EntityManager): Promise<UserEntity[]> {
    return this.users.findByIds(ids, manager);
  }

  // Display names by id, of the users among `ids` that exist (a join's answer).
  async displayNames(ids: readonly string[], manager: EntityManager): Promise<Map<string, string>> {
    const rows = await this.users.displayNames(ids, manager);
    return new Map(rows.map((u) => [u.id, u.displayName]));
  }

  // The role and status of the users among `ids` that exist (who may ring whom).
  standings(ids: readonly string[]): Promise<Pick<UserEntity, 'id' | 'role' | 'status'>[]> {
    return this.users.standings(ids);
  }

  // The ids among `ids` that belong to active users (e.g. the callees of a call).
  activeIds(ids: readonly string[], manager: EntityManager): Promise<string[]> {
    return this.users.activeIds(ids, manager);
  }

  // The person a data export or erasure is about (docs/patient-data.md).
  async personalDataSubject(
    userId: string,
    manager: EntityManager,
  ): Promise<PersonalDataSubject | null> {
    const user = await this.users.findById(userId, manager);
    return user ? { id: user.id, email: user.email } : null;
  }

  checkPassword(password: string, email: string, field = 'password'): void {
    const problems = passwordProblems(password, email);
    if (problems.length > 0) throw UsersErrors.weakPassword(problems, field);
  }

  async me(actor: AuthUser): Promise<UserResponse> {
    const user = await this.users.findById(actor.id);
    if (!user) throw UsersErrors.notFound();
    return toUserResponse(user);
  }

  updateMe(actor: AuthUser, changes: UpdateMeRequest, meta: RequestMeta): Promise<UserResponse> {
    return this.dataSource.transaction(async (manager) => {
      const user = await this.users.findByIdForUpdate(actor.id, manager);
      if (!user) throw UsersErrors.notFound();
      const { displayName, locale } = changes;
      if (displayName !== undefined || locale !== undefined) {
        await this.users.update(
          user.id,
          {
            ...(displayName !== undefined && { displayName }),
            ...(locale !== undefined && { locale }),
          },
          manager,
        );
        if (displayName !== undefined) user.displayName = displayName;
        if (locale !== undefined) user.locale = locale;
      }
      await this.audit.record(
        {
          action: AuditAction.UserProfileUpdate,
          outcome: AuditOutcome.Success,
          actor: auditActor(actor, meta),
          resource: { type: 'user', id: user.id },
          subjectId: user.id,
          requestId: meta.requestId,
          details: { fields: Object.keys(changes) },
        },
        manager,
      );
      return toUserResponse(user);
    });
  }

  adminCreate(actor: AuthUser, input: CreateUserRequest, meta: RequestMeta): Promise<UserResponse> {
    return this.dataSource.transaction(async (manager) => {
      const user = await this.createAccount(input, manager);
      await this.audit.record(
        {
          action: AuditAction.UserCreate,
          outcome: AuditOutcome.Success,
          actor: auditActor(actor, meta),
          resource: { type: 'user', id: user.id },
          subjectId: user.id,
          requestId: meta.requestId,
          details: { role: user.role },
        },
        manager,
      );
      return toUserResponse(user);
    });
  }

  async list(actor: AuthUser, query: ListUsersQuery, meta: RequestMeta): Promise<UserListResponse> {
    const limit = query.limit ?? DEFAULT_LIMIT;
    const listable = await this.access.listable(actor);
    let ids = listable ? [...listable.keys()] : undefined;
    if (query.nationalId !== undefined) {
      // Blind-index lookup, narrowed to what the caller may list anyway.
      const matches = await this.profiles.userIdsByNationalId(query.nationalId);
      ids = ids === undefined ? matches : ids.filter((id) => matches.includes(id));
    }
    // Doctors search among the patients they treat (or hold a break-glass grant for), nobody
    // else (docs/access-model.md).
    const role = actor.role === Role.Doctor ? Role.Patient : query.role;
    if (actor.role === Role.Doctor && query.role !== undefined && query.role !== Role.Patient) {
      return { items: [], nextCursor: null };
    }
    const rows = await this.users.search({
      role,
      q: query.q,
      ids,
      afterId: query.cursor ? decodeCursor(query.cursor) : undefined,
      limit: limit + 1,
    });
    const page = rows.slice(0, limit);
    await this.audit.record({
      action: AuditAction.UserSearch,
      outcome: AuditOutcome.Success,
      actor: auditActor(actor, meta),
      resource: { type: 'user' },
      requestId: meta.requestId,
      details: {
        role: role ?? null,
        // That a national id was searched for, never which one.
        ...(query.nationalId !== undefined ? { byNationalId: true } : {}),
        returned: page.length,
        userIds: page.map((u) => u.id),
        // A doctor's search reads patients' records: each with the basis it rests on.
        ...(listable ? { bases: page.map((u) => ({ userId: u.id, ...listable.get(u.id) })) } : {}),
      },
    });
    return {
      items: page.map(toUserResponse),
      nextCursor: rows.length > limit ? encodeCursor(page[page.length - 1].id) : null,
    };
  }

  async get(actor: AuthUser, id: string, meta: RequestMeta): Promise<UserResponse> {
    const found = await this.users.findById(id);
    const basis = found ? await this.access.recordAccess(actor, found) : null;
    const user = basis ? found : null;
    if (actor.id !== id) {
      // Reads of another person's record are audited with their basis, refusals included.
      await this.audit.record({
        action: AuditAction.UserRead,
        outcome: user ? AuditOutcome.Success : AuditOutcome.Denied,
        actor: auditActor(actor, meta),
        resource: { type: 'user', id },
        subjectId: user?.id ?? null,
        requestId: meta.requestId,
        details: basis ?? { reason: found ? 'not_allowed' : 'not_found' },
      });
    }
    // Not allowed and not found look the same: the answer does not reveal who exists.
    if (!user) throw UsersErrors.notFound();
    return toUserResponse(user);
  }

  async adminUpdate(
    actor: AuthUser,
    id: string,
    changes: AdminUpdateUserRequest,
    meta: RequestMeta,
  ): Promise<UserResponse> {
    const { user, revoked } = await this.dataSource.transaction(async (manager) => {
      const target = await this.users.findByIdForUpdate(id, manager);
      if (!target) throw UsersErrors.notFound();
      const before = { role: target.role, status: target.status };
      const next = { role: changes.role ?? target.role, status: changes.status ?? target.status };
      const changed = next.role !== before.role || next.status !== before.status;
      if (changed && target.id === actor.id) throw UsersErrors.selfChange();
      await this.guardLastAdmin(target, next, manager);
      let revokedIds: string[] = [];
      if (changed) {
        await this.users.update(target.id, next, manager);
        // The role is inside every access token and a deactivated user must be out now.
        revokedIds = await this.sessions.revokeAllForUser(
          target.id,
          next.status === UserStatus.Deactivated ? 'user_deactivated' : 'role_changed',
          manager,
        );
        Object.assign(target, next);
      }
      await this.audit.record(
        {
          action:
            next.status === UserStatus.Deactivated && before.status !== UserStatus.Deactivated
              ? AuditAction.UserDeactivate
              : AuditAction.UserUpdate,
          outcome: AuditOutcome.Success,
          actor: auditActor(actor, meta),
          resource: { type: 'user', id: target.id },
          subjectId: target.id,
          requestId: meta.requestId,
          details: { before, after: next, sessionsRevoked: revokedIds.length },
        },
        manager,
      );
      return { user: target, revoked: revokedIds };
    });
    await this.sessions.propagate(revoked, user.id);
    return toUserResponse(user);
  }

  async deactivate(actor: AuthUser, id: string, meta: RequestMeta): Promise<void> {
    await this.adminUpdate(actor, id, { status: UserStatus.Deactivated }, meta);
  }

  private async guardLastAdmin(
    target: UserEntity,
    next: { role: Role; status: UserStatus },
    manager: EntityManager,
  ): Promise<void> {
    const wasActiveAdmin = target.role === Role.Admin && target.status === UserStatus.Active;
    const staysActiveAdmin = next.role === Role.Admin && next.status === UserStatus.Active;
    if (wasActiveAdmin && !staysActiveAdmin && (await this.users.countActiveAdmins(manager)) <= 1) {
      throw UsersErrors.lastAdmin();
    }
  }
}
