import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { type EntityManager, Repository } from 'typeorm';
import { Role } from '../../common/auth/role';
import { UserEntity } from './user.entity';

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

  findByEmail(email: string, manager?: EntityManager): Promise<UserEntity | null> {
    return this.repo(manager).findOne({ where: { email: email.toLowerCase() } });
  }

  countByRole(role: Role, manager?: EntityManager): Promise<number> {
    return this.repo(manager).count({ where: { role } });
  }

  insert(
    user: Pick<UserEntity, 'email' | 'passwordHash' | 'displayName' | 'role'>,
    manager?: EntityManager,
  ): Promise<UserEntity> {
    const repo = this.repo(manager);
    return repo.save(repo.create({ ...user, email: user.email.toLowerCase() }));
  }
}
