import { ValidateIf } from 'class-validator';

// For fields of partial updates: the field may be left out, but `null` is validated like any
// other value (and refused by the field's type rules). `@IsOptional()` would let `null`
// through, and the update would then try to clear a column that must not be empty.
export function OptionalNotNull(): PropertyDecorator {
  return ValidateIf((_object: object, value: unknown) => value !== undefined);
}
