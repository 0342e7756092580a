import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import {
  IsOptional,
  IsString,
  Matches,
  ValidationArguments,
  registerDecorator,
  type ValidationOptions,
} from 'class-validator';
import { isValidTckn, normalizeNationalId } from '../national-id';

const normalize = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' ? normalizeNationalId(value) : value;

// A T.C. Kimlik No whose check digits are right (national-id.ts).
export function IsTckn(options?: ValidationOptions): PropertyDecorator {
  return (target: object, propertyName: string | symbol) =>
    registerDecorator({
      name: 'isTckn',
      target: target.constructor,
      propertyName: String(propertyName),
      options: {
        message: (args: ValidationArguments) =>
          `${args.property} must be an 11-digit Turkish national id number with valid check digits`,
        ...options,
      },
      validator: { validate: (value: unknown) => typeof value === 'string' && isValidTckn(value) },
    });
}

// A calendar date (YYYY-MM-DD) between 1900-01-01 and today.
function isPastDate(value: unknown): boolean {
  if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(value)) return false;
  const date = new Date(`${value}T00:00:00Z`);
  return (
    !Number.isNaN(date.getTime()) &&
    date.toISOString().slice(0, 10) === value &&
    value >= '1900-01-01' &&
    date.getTime() <= Date.now()
  );
}

export function IsPastDate(options?: ValidationOptions): PropertyDecorator {
  return (target: object, propertyName: string | symbol) =>
    registerDecorator({
      name: 'isPastDate',
      target: target.constructor,
      propertyName: String(propertyName),
      options: {
        message: (args: ValidationArguments) =>
          `${args.property} must be a date (YYYY-MM-DD) from 1900-01-01 to today`,
        ...options,
      },
      validator: { validate: isPastDate },
    });
}

// PUT replaces the whole profile: a field left out or null is cleared.
export class PutPatientProfileRequest {
  @ApiProperty({
    type: String,
    required: false,
    nullable: true,
    example: '10000000146',
    description: 'T.C. Kimlik No',
  })
  @IsOptional()
  @Transform(normalize)
  @IsString()
  @IsTckn()
  nationalId?: string | null;

  @ApiProperty({
    type: String,
    required: false,
    nullable: true,
    example: '1990-04-23',
    format: 'date',
  })
  @IsOptional()
  @IsPastDate()
  dateOfBirth?: string | null;

  @ApiProperty({
    type: String,
    required: false,
    nullable: true,
    example: '+905321234567',
    description: 'E.164',
  })
  @IsOptional()
  @IsString()
  @Matches(/^\+[1-9]\d{7,14}$/, { message: 'phone must be an E.164 number such as +905321234567' })
  phone?: string | null;
}

export class PatientProfileResponse {
  @ApiProperty({ example: 'a41d9e07-6b3c-4f28-8d15-2c7e9b0f4a61', format: 'uuid' })
  userId!: string;

  @ApiProperty({ example: '10000000146', type: String, nullable: true })
  nationalId!: string | null;

  @ApiProperty({ example: '1990-04-23', type: String, nullable: true, format: 'date' })
  dateOfBirth!: string | null;

  @ApiProperty({ example: '+905321234567', type: String, nullable: true })
  phone!: string | null;

  @ApiProperty({
    example: '2026-03-14T09:30:00.000Z',
    type: String,
    nullable: true,
    format: 'date-time',
  })
  updatedAt!: string | null;
}
