import {
  type ArgumentMetadata,
  HttpException,
  ValidationPipe,
  type ValidationError,
} from '@nestjs/common';
import { containsNul, prototypeKeyPath } from '../http/json-depth';
import { AppException, type FieldError } from './app.exception';

// class-validator nests errors for nested DTOs and arrays; clients want flat field paths
// such as `memberIds.2`.
export function flattenValidationErrors(errors: ValidationError[], prefix = ''): FieldError[] {
  return errors.flatMap((error) => {
    const field = prefix ? `${prefix}.${error.property}` : error.property;
    const own: FieldError[] = error.constraints
      ? [{ field, messages: Object.values(error.constraints) }]
      : [];
    return own.concat(flattenValidationErrors(error.children ?? [], field));
  });
}

export function validationException(errors: ValidationError[]): AppException {
  const fields = flattenValidationErrors(errors);
  const names = [...new Set(fields.map((f) => f.field))].join(', ');
  return AppException.validation(fields, `Invalid or unknown fields: ${names}.`);
}

// The same options serve REST (global pipe) and the signaling gateway, so a payload is judged
// the same way on both paths. Unknown fields are refused, never silently dropped.
export const VALIDATION_OPTIONS = {
  whitelist: true,
  forbidNonWhitelisted: true,
  forbidUnknownValues: true,
  transform: true,
  transformOptions: { enableImplicitConversion: false },
  validationError: { target: false, value: false },
  stopAtFirstError: false,
  exceptionFactory: validationException,
} as const;

// NUL characters are refused up front (see containsNul).
// Hazard: class-transformer runs conversions such as `@Type(() => Date)` on whatever arrived,
// and `new Date({toString: {}})` throws a TypeError; so does Number() on such an object. Input
// that the transformer cannot even read is invalid input: a 400, never a 500 (or INTERNAL
// on signaling). Found by test/resilience/fuzz-rest.e2e-spec.ts.
export class AppValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.type !== 'custom' && containsNul(value))
      throw AppException.validation(
        [{ field: metadata.data ?? metadata.type, messages: ['must not contain NUL characters'] }],
        'The request contains a NUL character.',
      );
    const pollution = metadata.type === 'custom' ? null : prototypeKeyPath(value);
    if (pollution !== null)
      throw AppException.validation(
        [{ field: pollution, messages: ['is not an allowed key'] }],
        'Keys named __proto__, constructor or prototype are refused.',
      );
    let out: unknown;
    try {
      out = (await super.transform(value, metadata)) as unknown;
    } catch (err) {
      if (err instanceof HttpException || err instanceof AppException) throw err;
      throw AppException.validation(
        [{ field: metadata.data ?? metadata.type, messages: ['could not be read'] }],
        'The request could not be read.',
      );
    }
    const field = outOfRangeDate(out);
    if (field !== null)
      throw AppException.validation([
        { field, messages: ['must be a date between the years 1 and 9999'] },
      ]);
    return out;
  }
}

// Hazard: JavaScript dates reach ±275760 years, PostgreSQL timestamps do not (a query with
// year -111111 fails with "timestamp out of range", a 500). Dates a client sends must lie
// between the years 1 and 9999. Returns the offending field of a validated DTO, or null.
function outOfRangeDate(dto: unknown): string | null {
  if (typeof dto !== 'object' || dto === null) return null;
  for (const [key, v] of Object.entries(dto)) {
    if (v instanceof Date) {
      const year = v.getUTCFullYear();
      if (year < 1 || year > 9999) return key;
    }
  }
  return null;
}

export function createValidationPipe(): ValidationPipe {
  return new AppValidationPipe(VALIDATION_OPTIONS);
}
