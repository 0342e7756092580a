import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Brackets, type EntityManager, In, Repository } from 'typeorm';
import { Role } from '../../common/auth/role';
import { type Prepared, preparedRows } from '../../infra/database/prepared';
import { UserEntity, UserStatus } from './user.entity';

// What a call reads of its people (who may ring whom, the names a join answers with): only
// those columns, by statements prepared once per connection (docs/performance.md, scenario 5).
const DISPLAY_NAMES: Prepared = {
  name: 'hekim_users_display_names',
  text: `SELECT id, display_name AS "displayName" FROM users WHERE id = ANY($1::uuid[])`,
};

const ACTIVE_IDS: Prepared = {
  name: 'hekim_users_active_ids',
  text: `SELECT id FROM users WHERE id = ANY($1::uuid[]) AND status = $2`,
};

const STANDINGS: Prepared = {
  name: 'hekim_users_standings',
  text: `SELECT id, role, status FROM users WHERE id = ANY($1::uuid[])`,
};

export interface UserSearch {
  role?: Role;
  // Matched case-insensitively against e-mail and display name.
  q?: string;
  // Only these ids (a doctor's patients); undefined means no restriction.
  ids?: readonly string[];
  // Keyset pagination on id: stable whatever is inserted meanwhile.
  afterId?: string;
  limit: number;
}

// The only code that touches the users table.
@Injectable()
export class UsersRepository {
  constructor(@InjectRepository(UserEntity) private readonly users: Repository<UserEntity>) {}

  private repo(manager?: EntityManager): Repository<UserEntity> {
    return manager ? manager.getRepository(UserEntity) : this.users;
  }

  findById(id: string, manager?: EntityManager): Promise<UserEntity | null> {
    return this.repo(manager).findOne({ where: { id } });
  }

  findByIds(ids: readonly string[], manager?: EntityManager): Promise<UserEntity[]> {
    if (ids.length === 0) return Promise.resolve([]);
    return this.repo(manager).find({ where: { id: In([...ids]) } });
  }

  // The display names of these users (those that exist).
  async displayNames(
    ids: readonly string[],
    manager: EntityManager,
  ): Promise<{ id: string; displayName: string }[]> {
    if (ids.length === 0) return [];
    return preparedRows(manager, DISPLAY_NAMES, [[...ids]]);
  }

  // The role and status of these users (those that exist).
  async standings(ids: readonly string[]): Promise<Pick<UserEntity, 'id' | 'role' | 'status'>[]> {
    if (ids.length === 0) return [];
    return preparedRows(this.users.manager, STANDINGS, [[...ids]]);
  }

  // The ids among `ids` that belong to active users.
  async activeIds(ids: readonly string[], manager?: EntityManager): Promise<string[]> {
    if (ids.length === 0) return [];
    const rows = await preparedRows<{ id: string }>(manager ?? this.users.manager, ACTIVE_IDS, [
      [...ids],
      UserStatus.Active,
    ]);
    return rows.map((r) => r.id);
  }

  // Locks the row for the rest of the caller's transaction (role/status changes).
  findByIdForUpdate(id: string, manager: EntityManager): Promise<UserEntity | null> {
    return manager
      .getRepository(UserEntity)
      .findOne({ where: { id }, lock: { mode: 'pessimistic_write' } });
  }

  findByEmail(email: string, manager?: EntityManager): Promise<UserEntity | null> {
    return this.repo(manager).findOne({ where: { email: email.toLowerCase() } });
  }

  countByRole(role: Role, manager?: EntityManager): Promise<number> {
    return this.repo(manager).count({ where: { role } });
  }

  insert(
    user: Pick<UserEntity, 'email' | 'passwordHash' | 'displayName' | 'role'> &
      Partial<Pick<UserEntity, 'locale' | 'emailVerifiedAt'>>,
    manager?: EntityManager,
  ): Promise<UserEntity> {
    const repo = this.repo(manager);
    return repo.save(repo.create({ ...user, email: user.email.toLowerCase() }));
  }

  async update(
    id: string,
    changes: Partial<
      Pick<
        UserEntity,
        | 'email'
        | 'displayName'
        | 'role'
        | 'status'
        | 'passwordHash'
        | 'mfaEnabled'
        | 'locale'
        | 'emailVerifiedAt'
      >
    >,
    manager?: EntityManager,
  ): Promise<void> {
    await this.repo(manager).update({ id }, changes);
  }

  search(search: UserSearch, manager?: EntityManager): Promise<UserEntity[]> {
    const qb = this.repo(manager).createQueryBuilder('u');
    if (search.role) qb.andWhere('u.role = :role', { role: search.role });
    if (search.ids) {
      if (search.ids.length === 0) return Promise.resolve([]);
      qb.andWhere({ id: In([...search.ids]) });
    }
    if (search.q) {
      // The search text is data: escaped for LIKE and bound as a parameter.
      const pattern = `%${search.q.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
      qb.andWhere(
        new Brackets((w) => {
          w.where('u.email LIKE :pattern', { pattern }).orWhere(
            'lower(u.display_name) LIKE :pattern',
            { pattern },
          );
        }),
      );
    }
    if (search.afterId) qb.andWhere('u.id > :afterId', { afterId: search.afterId });
    return qb.orderBy('u.id', 'ASC').take(search.limit).getMany();
  }

  countActiveAdmins(manager?: EntityManager): Promise<number> {
    return this.repo(manager).count({ where: { role: Role.Admin, status: UserStatus.Active } });
  }
}
