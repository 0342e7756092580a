import { readFileSync } from 'node:fs';
import { plainToInstance } from 'class-transformer';
import { validateSync, type ValidationError } from 'class-validator';
import { ENV_NAMES, EnvironmentVariables } from './env.schema';

// The first job of loading the configuration: read the variables the schema knows from the
// environment and validate them against it. Nothing here depends on NODE_ENV.
export interface ReadEnvironment {
  env: EnvironmentVariables;
  // One line per offending variable and message.
  problems: string[];
}

export function readEnvironment(rawEnv: NodeJS.ProcessEnv): ReadEnvironment {
  // Unknown names are ignored; empty strings count as unset so that `FOO=` in a .env file
  // means "use the default".
  const plain: Record<string, string> = {};
  for (const name of ENV_NAMES) {
    const value = rawEnv[name];
    if (value !== undefined && value !== '') plain[name] = value;
  }
  const env = plainToInstance(EnvironmentVariables, plain);
  const problems = flatten(validateSync(env, { forbidUnknownValues: true }));
  if (env.SMTP_CA_FILE !== undefined && !problems.some((p) => p.startsWith('SMTP_CA_FILE:'))) {
    const problem = pemProblem(env.SMTP_CA_FILE);
    if (problem) problems.push(`SMTP_CA_FILE: ${problem}`);
  }
  return { env, problems };
}

// A file of certificates named by a variable must be readable and hold at least one.
function pemProblem(path: string): string | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    return `cannot be read (${typeof code === 'string' ? code : 'error'}: ${path})`;
  }
  return text.includes('-----BEGIN CERTIFICATE-----')
    ? undefined
    : `holds no PEM certificate (${path})`;
}

// One line per variable and message: several failed constraints of one variable share their
// message (PORT's integer, minimum and maximum checks all say "0 to 65535").
function flatten(errors: ValidationError[]): string[] {
  return errors.flatMap((e) =>
    [...new Set(Object.values(e.constraints ?? {}))].map(
      (message) => `${e.property}: ${message} (got ${describe(e.value)})`,
    ),
  );
}

// Never echo a value that may be a secret.
function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'string')
    return value.length > 40 ? `a ${value.length}-character value` : JSON.stringify(value);
  return JSON.stringify(value);
}
