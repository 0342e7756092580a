import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { AuditEventEntity } from '../audit-event.entity';
import { toRecordBody } from '../audit-mapper';
import type { VerifyResult } from '../verification/audit-verifier';

class AuditActorResponse {
  @ApiProperty({
    type: String,
    nullable: true,
    format: 'uuid',
    example: 'a41d9e07-6b3c-4f28-8d15-2c7e9b0f4a61',
  })
  userId!: string | null;
  @ApiProperty({ type: String, nullable: true, example: 'doctor' }) role!: string | null;
  @ApiProperty({ type: String, nullable: true, example: '203.0.113.7' }) ip!: string | null;
  @ApiProperty({ type: String, nullable: true, example: 'Mozilla/5.0 (X11; Linux x86_64)' })
  userAgent!: string | null;
}

class AuditResourceResponse {
  @ApiProperty({ type: String, nullable: true, example: 'room' }) type!: string | null;
  @ApiProperty({ type: String, nullable: true, example: '3f6c2a8e-1d4b-4c7a-9e52-8b1f0d7a6c34' })
  id!: string | null;
}

export class AuditEventResponse {
  @ApiProperty({ example: '42' }) seq!: string;
  @ApiProperty({ format: 'date-time', example: '2026-03-14T09:30:00.000Z' })
  occurredAt!: string;
  @ApiProperty({ type: AuditActorResponse }) actor!: AuditActorResponse;
  @ApiProperty({ example: 'auth.login' }) action!: string;
  @ApiProperty({ enum: ['success', 'failure', 'denied'], example: 'success' }) outcome!: string;
  @ApiProperty({ type: AuditResourceResponse }) resource!: AuditResourceResponse;
  @ApiProperty({
    type: String,
    nullable: true,
    format: 'uuid',
    example: 'a41d9e07-6b3c-4f28-8d15-2c7e9b0f4a61',
  })
  subjectId!: string | null;
  @ApiProperty({ type: String, nullable: true, example: 'b3d7c1e0-5d1a-4c55-9a1f-0f6f0e6a2b7c' })
  requestId!: string | null;
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    example: { reason: 'mfa_required' },
  })
  details!: Record<string, unknown>;
  @ApiProperty({
    description: 'The hash of the previous record.',
    example: '1a3c4e6a8b0d1f3e5a7c9b1d3f5e7a9c0b2d4f6e8a0c2e4f6a8b0d2f4e6a8c0b',
  })
  prevHash!: string;
  @ApiProperty({
    description: 'Hex SHA-256 over prevHash and this record (docs/audit.md).',
    example: '9f2c4e6a8b0d1f3e5a7c9b1d3f5e7a9c0b2d4f6e8a0c2e4f6a8b0d2f4e6a8c0b',
  })
  hash!: string;
}

export class AuditEventPageResponse {
  @ApiProperty({ type: [AuditEventResponse] }) items!: AuditEventResponse[];
  @ApiProperty({ type: String, nullable: true, example: null }) nextCursor!: string | null;
}

export class AuditVerifyResponse {
  @ApiProperty({ example: true }) valid!: boolean;
  @ApiProperty({ type: 'integer', description: 'Records re-computed.', example: 1200 })
  checked!: number;
  @ApiPropertyOptional({
    description: 'The first seq the chain and signatures no longer vouch for.',
  })
  firstInvalidSeq?: string;
  @ApiPropertyOptional() reason?: string;
}

export class AuditPublicKeyResponse {
  @ApiProperty({ description: 'Ed25519 public key, SPKI PEM.' }) publicKey!: string;
  @ApiProperty({ description: 'Names the key in each checkpoint.' }) keyId!: string;
  @ApiProperty({ enum: ['Ed25519'], example: 'Ed25519' }) algorithm!: 'Ed25519';
}

export function toAuditEventResponse(e: AuditEventEntity): AuditEventResponse {
  return { ...toRecordBody(e), prevHash: e.prevHash, hash: e.hash };
}

export function toAuditVerifyResponse(r: VerifyResult): AuditVerifyResponse {
  return {
    valid: r.valid,
    checked: r.checked,
    ...(r.firstInvalidSeq !== undefined ? { firstInvalidSeq: r.firstInvalidSeq } : {}),
    ...(r.reason !== undefined ? { reason: r.reason } : {}),
  };
}
