import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Role } from '../../common/auth/role';
import { hashPassword } from '../../common/crypto/password-hasher';
import { AppConfig } from '../../config/app-config';
import { UsersRepository } from './users.repository';

const EMBEDDED_ADMIN_EMAIL = 'admin@hekim.local';
// Serialises first-admin creation across instances that start together.
const BOOTSTRAP_LOCK = 0x48454b494e;

export interface InitialAdmin {
  email: string;
  password: string;
}

// docs/configuration.md: on an empty database ADMIN_EMAIL/ADMIN_PASSWORD create the first admin
// (idempotent). In the embedded mode without them a random password is generated once, kept
// in DATA_DIR/initial-admin.json (mode 0600) and printed with the demo page's address.
@Injectable()
export class AdminBootstrapService implements OnApplicationBootstrap {
  private readonly logger = new Logger('Bootstrap');
  generated: InitialAdmin | undefined;

  constructor(
    private readonly config: AppConfig,
    private readonly users: UsersRepository,
    private readonly dataSource: DataSource,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.ensureFirstAdmin();
  }

  async ensureFirstAdmin(): Promise<'created' | 'exists' | 'skipped'> {
    let credentials: InitialAdmin | undefined;
    if (this.config.admin.email && this.config.admin.password) {
      credentials = { email: this.config.admin.email, password: this.config.admin.password };
    } else if (this.config.database.mode === 'embedded') {
      credentials = this.embeddedCredentials();
    }
    if (!credentials) return 'skipped';
    const { email, password } = credentials;

    const outcome = await this.dataSource.transaction(async (manager) => {
      await manager.query('SELECT pg_advisory_xact_lock($1)', [BOOTSTRAP_LOCK]);
      if ((await this.users.countByRole(Role.Admin, manager)) > 0) return 'exists' as const;
      await this.users.insert(
        {
          email,
          passwordHash: await hashPassword(password),
          displayName: 'Administrator',
          role: Role.Admin,
        },
        manager,
      );
      return 'created' as const;
    });
    if (outcome === 'created') this.logger.log(`created the first admin account ${email}`);
    return outcome;
  }

  private embeddedCredentials(): InitialAdmin {
    const file = join(this.config.dataDir, 'initial-admin.json');
    if (existsSync(file)) {
      this.generated = JSON.parse(readFileSync(file, 'utf8')) as InitialAdmin;
      return this.generated;
    }
    this.generated = {
      email: EMBEDDED_ADMIN_EMAIL,
      password: randomBytes(15).toString('base64url'),
    };
    writeFileSync(file, JSON.stringify(this.generated, null, 2) + '\n', { mode: 0o600 });
    return this.generated;
  }
}
