import { ValidationPipe, type ValidationError } from '@nestjs/common';
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

export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe(VALIDATION_OPTIONS);
}
