import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import { ArrayMaxSize, IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';

// The search parameters of GET /fhir/Appointment (docs/appointments.md, "FHIR read API").
export class FhirAppointmentSearchQuery {
  @ApiPropertyOptional({
    type: [String],
    example: ['ge2027-01-01', 'lt2027-02-01'],
    description:
      'Start date with an optional prefix (eq, ge, gt, le, lt); a day is the whole UTC day. Repeat to bound both ends.',
  })
  @IsOptional()
  @Transform(({ value }: { value: unknown }): unknown[] =>
    Array.isArray(value) ? (value as unknown[]) : [value],
  )
  @IsString({ each: true })
  @ArrayMaxSize(4)
  date?: string[];

  @ApiPropertyOptional({
    example: 'Practitioner/0b9f6f55-3c84-4d1e-9a56-d7f2c8a1e3b4',
    description: 'The clinician, as Practitioner/<id> or <id>.',
  })
  @IsOptional()
  @IsString()
  @MaxLength(80)
  practitioner?: string;

  @ApiPropertyOptional({
    example: 'Patient/a41d9e07-6b3c-4f28-8d15-2c7e9b0f4a61',
    description: 'The patient, as Patient/<id> or <id>.',
  })
  @IsOptional()
  @IsString()
  @MaxLength(80)
  patient?: string;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 200, default: 50, example: 50 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(200)
  _count?: number;

  @ApiPropertyOptional({ description: 'Opaque: taken from the `next` link of the previous page.' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  _cursor?: string;
}

export class FhirReference {
  @ApiProperty({ example: 'Patient/a41d9e07-6b3c-4f28-8d15-2c7e9b0f4a61' })
  reference!: string;
}

export class FhirAppointmentParticipant {
  @ApiProperty({ type: FhirReference })
  actor!: FhirReference;

  @ApiProperty({ example: 'required' })
  required!: string;

  @ApiProperty({ example: 'accepted', enum: ['accepted', 'needs-action'] })
  status!: string;
}

export class FhirAppointment {
  @ApiProperty({ example: 'Appointment' })
  resourceType!: string;

  @ApiProperty({ example: '5c2e7d1a-9b4f-4e38-a6d0-3f8b1c9e2a75', format: 'uuid' })
  id!: string;

  @ApiProperty({
    example: 'booked',
    enum: ['pending', 'booked', 'checked-in', 'arrived', 'fulfilled', 'cancelled', 'noshow'],
  })
  status!: string;

  @ApiProperty({ example: '2027-01-04T06:00:00.000Z', format: 'date-time' })
  start!: string;

  @ApiProperty({ example: '2027-01-04T06:20:00.000Z', format: 'date-time' })
  end!: string;

  @ApiProperty({ type: [FhirAppointmentParticipant] })
  participant!: FhirAppointmentParticipant[];
}

export class FhirEncounter {
  @ApiProperty({ example: 'Encounter' })
  resourceType!: string;

  @ApiProperty({ example: 'e7a1c2d3-4b5f-4a6e-8c7d-9e0f1a2b3c4d', format: 'uuid' })
  id!: string;

  @ApiProperty({ example: 'finished', enum: ['in-progress', 'finished'] })
  status!: string;

  @ApiPropertyOptional({ type: FhirReference })
  subject?: FhirReference;

  @ApiPropertyOptional({ type: [FhirReference] })
  appointment?: FhirReference[];
}

export class FhirBundleEntry {
  @ApiProperty({ example: 'Appointment/5c2e7d1a-9b4f-4e38-a6d0-3f8b1c9e2a75' })
  fullUrl!: string;

  @ApiProperty({ type: FhirAppointment })
  resource!: FhirAppointment;
}

export class FhirBundleLink {
  @ApiProperty({ example: 'next', enum: ['self', 'next'] })
  relation!: string;

  @ApiProperty({ example: '/api/v1/fhir/Appointment?_count=50&_cursor=MjAyNy0wMS0wNFQwNjo' })
  url!: string;
}

export class FhirSearchBundle {
  @ApiProperty({ example: 'Bundle' })
  resourceType!: string;

  @ApiProperty({ example: 'searchset' })
  type!: string;

  @ApiProperty({ type: [FhirBundleLink] })
  link!: FhirBundleLink[];

  @ApiProperty({ type: [FhirBundleEntry] })
  entry!: FhirBundleEntry[];
}
