import { applyDecorators } from '@nestjs/common';
import { Transform } from 'class-transformer';
import {
  IsBoolean,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
} from 'class-validator';

// One decorator per kind of environment variable: each writes its message once and gives it
// to every check of the variable, so that a value failing several checks is still reported
// once (read-env.ts keeps one line per variable and message). Defaults are the fields'
// initial values in env.schema.ts.

// Environment strings become typed values here, once; a value that does not parse stays a
// string so that the validator names it.
const toInt = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value.trim()) : value;

const toBool = ({ value }: { value: unknown }): unknown => {
  if (typeof value !== 'string') return value;
  const v = value.trim().toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(v)) return true;
  if (['false', '0', 'no', 'off'].includes(v)) return false;
  return value;
};

const trimmed = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' ? value.trim() : value;

type Decorator = PropertyDecorator;

const optionally = (optional: boolean | undefined, ...decorators: Decorator[]): Decorator =>
  applyDecorators(...(optional ? [IsOptional(), ...decorators] : decorators));

export interface IntegerVarOptions {
  min: number;
  max?: number;
  // Seconds, bytes, days…: named in the message.
  unit?: string;
  optional?: boolean;
  // Replaces the generated message where the range needs a word of explanation.
  message?: string;
}

// "must be a whole number of seconds from 60 to 3600", "… of seconds, at least 300",
// "… of at least 1".
export function integerMessage({ min, max, unit }: IntegerVarOptions): string {
  const of = unit ? ` of ${unit}` : '';
  if (max !== undefined) return `must be a whole number${of} from ${min} to ${max}`;
  return unit
    ? `must be a whole number${of}, at least ${min}`
    : `must be a whole number of at least ${min}`;
}

export function IntegerVar(options: IntegerVarOptions): Decorator {
  const message = options.message ?? integerMessage(options);
  return optionally(
    options.optional,
    Transform(toInt),
    IsInt({ message }),
    Min(options.min, { message }),
    ...(options.max !== undefined ? [Max(options.max, { message })] : []),
  );
}

export function BooleanVar(options: { optional?: boolean } = {}): Decorator {
  return optionally(
    options.optional,
    Transform(toBool),
    IsBoolean({ message: 'must be true or false' }),
  );
}

// "must be tr or en", "must be one of development, test, production".
export function ChoiceVar(
  values: readonly string[],
  options: { optional?: boolean } = {},
): Decorator {
  const message =
    values.length === 2
      ? `must be ${values[0]} or ${values[1]}`
      : `must be one of ${values.join(', ')}`;
  return optionally(options.optional, IsIn([...values], { message }));
}

export interface UrlVarOptions {
  protocols: readonly string[];
  optional?: boolean;
  message?: string;
}

// `<protocol>://…` without spaces; "must be a redis:// or rediss:// URL".
export function UrlVar(options: UrlVarOptions): Decorator {
  const names = options.protocols.map((p) => `${p}://`);
  // Read aloud: "an http://", "an smtp://" (spelt out), "a redis://" (a word).
  const article = /^[aeiouhs]/.test(options.protocols[0]) ? 'an' : 'a';
  const message =
    options.message ??
    `must be ${article} ${names.slice(0, -1).join(', ')}${names.length > 1 ? ' or ' : ''}${names[names.length - 1]} URL`;
  const pattern = new RegExp(`^(?:${options.protocols.join('|')}):\\/\\/\\S+$`);
  return optionally(options.optional, Transform(trimmed), Matches(pattern, { message }));
}

// A trimmed value of a given shape (lists, prefixes, addresses, key entries).
export function PatternVar(
  pattern: RegExp,
  message: string,
  options: { optional?: boolean } = {},
): Decorator {
  return optionally(options.optional, Transform(trimmed), Matches(pattern, { message }));
}

export interface TextVarOptions {
  optional?: boolean;
  minLength: number;
  maxLength?: number;
  message: string;
  // Message of the upper bound, when it says something else.
  maxMessage?: string;
}

// A trimmed, non-empty piece of text (a host, a path, an issuer, an address).
export function TextVar(options: TextVarOptions): Decorator {
  return optionally(
    options.optional,
    Transform(trimmed),
    IsString(),
    MinLength(options.minLength, { message: options.message }),
    ...(options.maxLength !== undefined
      ? [MaxLength(options.maxLength, { message: options.maxMessage ?? options.message })]
      : []),
  );
}

export interface SecretVarOptions {
  minLength?: number;
  maxLength?: number;
  message?: string;
  // A text secret that production judges by its look (secret-strength.ts): long enough,
  // no placeholder, no pattern, enough entropy.
  strengthCheckedInProduction?: boolean;
}

// The names of the text secrets production judges, in the schema's order (filled as the
// schema's decorators run).
const productionTextSecrets: string[] = [];
export const PRODUCTION_TEXT_SECRETS: readonly string[] = productionTextSecrets;

// A secret, taken as given (never trimmed: its bytes are the key) and always optional here:
// whether it must be set depends on NODE_ENV (load-config.ts).
export function SecretVar(options: SecretVarOptions = {}): Decorator {
  const message = options.message ?? `must be at least ${options.minLength} characters`;
  const register: Decorator = (_target, name) => {
    if (options.strengthCheckedInProduction && typeof name === 'string')
      productionTextSecrets.push(name);
  };
  return applyDecorators(
    register,
    IsOptional(),
    IsString(),
    ...(options.minLength !== undefined ? [MinLength(options.minLength, { message })] : []),
    ...(options.maxLength !== undefined ? [MaxLength(options.maxLength, { message })] : []),
  );
}
