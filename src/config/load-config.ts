import { isAbsolute, resolve } from 'node:path';
import { AppConfig } from './app-config';
import { composeConfig } from './compose-config';
import { deepFreeze } from './deep-freeze';
import { readEnvironment } from './read-env';
import { keyProblems, productionProblems } from './secret-checks';
import { developmentSecrets, SECRET_NAMES, type GivenSecrets } from './secrets';

// Loading the configuration, in three jobs kept in their own files: read and validate the
// variables (read-env.ts), check what production requires and the secrets in use
// (secret-checks.ts; outside production, secrets.ts generates the missing ones and keeps them
// under DATA_DIR), and compose the typed AppConfig (compose-config.ts). The result is frozen:
// nothing changes the configuration after start-up.

// Thrown when the environment is unusable; its message names every offending variable.
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(
      `Hekim cannot start: the configuration is invalid.\n${problems.map((p) => `  - ${p}`).join('\n')}\n` +
        'See docs/configuration.md for every variable, its default and what it expects.',
    );
    this.name = 'ConfigError';
  }
}

export interface LoadConfigOptions {
  // Outside production, missing secrets are generated and kept under DATA_DIR so that a
  // restart keeps sessions valid. Tests pass false and supply their own.
  persistGeneratedSecrets?: boolean;
  // Validate only: missing development secrets are generated in memory and nothing is
  // written under DATA_DIR (main.ts checks the whole start-up before its first side effect).
  dryRun?: boolean;
  cwd?: string;
}

export function loadConfig(rawEnv: NodeJS.ProcessEnv, options: LoadConfigOptions = {}): AppConfig {
  const { env, problems } = readEnvironment(rawEnv);
  const dataDir = isAbsolute(env.DATA_DIR)
    ? env.DATA_DIR
    : resolve(options.cwd ?? process.cwd(), env.DATA_DIR);

  const given: GivenSecrets = {};
  for (const name of SECRET_NAMES) if (env[name] !== undefined) given[name] = env[name];
  let secrets = given;
  if (env.NODE_ENV === 'production') {
    problems.push(...productionProblems(env, problems));
  } else {
    const development = developmentSecrets(given, dataDir, options, problems.length === 0);
    secrets = development.secrets;
    problems.push(...development.problems);
  }
  if (env.INSTANCES > 1 && !env.REDIS_URL) {
    problems.push(
      `REDIS_URL: is required when INSTANCES is ${env.INSTANCES} (in-process stores serve one instance only)`,
    );
  }
  problems.push(...keyProblems(secrets, env.PATIENT_DATA_PREVIOUS_MASTER_KEYS));
  if (problems.length > 0) throw new ConfigError(problems);

  return deepFreeze(composeConfig(env, secrets, dataDir));
}

// The same configuration with the database found at start-up (the embedded PostgreSQL's or
// an operations command's), frozen like the loaded one.
export function withDatabaseUrl(config: AppConfig, url: string): AppConfig {
  return deepFreeze(
    Object.assign(new AppConfig(), config, { database: { ...config.database, url } }),
  );
}
