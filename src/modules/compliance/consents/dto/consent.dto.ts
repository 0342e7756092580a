import { LEGACY_ENVELOPE_NOTE } from '../../../../common/http/legacy-envelope';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Max, MaxLength, Min, MinLength } from 'class-validator';
import { CONSENT_PURPOSES, type ConsentPurpose } from '../consent-purpose';

const PURPOSE = { enum: CONSENT_PURPOSES, enumName: 'ConsentPurpose' } as const;
export const MAX_CONSENT_TEXT_LENGTH = 20_000;

export class GrantConsentRequest {
  @ApiProperty(PURPOSE)
  @IsIn(CONSENT_PURPOSES)
  purpose!: ConsentPurpose;

  @ApiProperty({
    type: 'integer',
    minimum: 1,
    description: 'Must be the current version of the purpose’s text.',
    example: 1,
  })
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  version!: number;
}

export class PurposeParam {
  @ApiProperty(PURPOSE)
  @IsIn(CONSENT_PURPOSES)
  purpose!: ConsentPurpose;
}

export class PublishConsentTextRequest {
  @ApiProperty(PURPOSE)
  @IsIn(CONSENT_PURPOSES)
  purpose!: ConsentPurpose;

  @ApiProperty({
    example: 'I agree to video consultations with my doctors through Hekim.',
    minLength: 20,
    maxLength: MAX_CONSENT_TEXT_LENGTH,
  })
  @IsString()
  @MinLength(20)
  @MaxLength(MAX_CONSENT_TEXT_LENGTH)
  text!: string;
}

export class ListConsentTextsQuery {
  @ApiPropertyOptional(PURPOSE)
  @IsOptional()
  @IsIn(CONSENT_PURPOSES)
  purpose?: ConsentPurpose;

  @ApiPropertyOptional({ description: 'true: every published version, not only the current.' })
  @IsOptional()
  @Type(() => String)
  @IsIn(['true', 'false'])
  all?: 'true' | 'false';
}

export class ConsentResponse {
  @ApiProperty(PURPOSE)
  purpose!: ConsentPurpose;

  @ApiProperty({ type: 'integer', example: 1 })
  version!: number;

  @ApiProperty({ example: '2026-03-14T09:30:00.000Z', type: String, format: 'date-time' })
  grantedAt!: string;

  @ApiProperty({
    example: null,
    type: String,
    format: 'date-time',
    nullable: true,
    description: 'Set when withdrawn; also when replaced by a grant of a newer version.',
  })
  withdrawnAt!: string | null;
}

// The consent itself, with the deprecated `consent` wrapper of the earlier answer.
export class ConsentAnswer extends ConsentResponse {
  @ApiProperty({ type: () => ConsentResponse, deprecated: true, description: LEGACY_ENVELOPE_NOTE })
  consent!: ConsentResponse;
}

export class RequiredConsent {
  @ApiProperty(PURPOSE)
  purpose!: ConsentPurpose;

  @ApiProperty({ type: 'integer', example: 1 })
  version!: number;

  @ApiProperty({ example: 'I agree to video consultations with my doctors through Hekim.' })
  text!: string;
}

export class MyConsentsResponse {
  @ApiProperty({ type: [ConsentResponse], description: 'Every grant, oldest first.' })
  consents!: ConsentResponse[];

  @ApiProperty({
    type: [RequiredConsent],
    description: 'Current texts the caller has not granted (or has withdrawn).',
  })
  required!: RequiredConsent[];
}

export class ConsentTextResponse {
  @ApiProperty(PURPOSE)
  purpose!: ConsentPurpose;

  @ApiProperty({ type: 'integer', example: 1 })
  version!: number;

  @ApiProperty({ example: 'I agree to video consultations with my doctors through Hekim.' })
  text!: string;

  @ApiProperty({ example: '2026-03-14T09:30:00.000Z', type: String, format: 'date-time' })
  publishedAt!: string;
}

export class ConsentTextListResponse {
  @ApiProperty({ type: [ConsentTextResponse] })
  items!: ConsentTextResponse[];

  @ApiProperty({
    example: null,
    type: String,
    nullable: true,
    description: 'Always null: texts are few.',
  })
  nextCursor!: null;
}
