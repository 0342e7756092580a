import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { AuditEventEntity } from '../audit-event.entity';
import { toRecordBody } from '../audit-mapper';
import type { VerifyResult } from '../audit-verifier';

class AuditActorResponse {
  @ApiProperty({ type: String, nullable: true, format: 'uuid' }) userId!: string | null;
  @ApiProperty({ type: String, nullable: true }) role!: string | null;
  @ApiProperty({ type: String, nullable: true }) ip!: string | null;
  @ApiProperty({ type: String, nullable: true }) userAgent!: string | null;
}

class AuditResourceResponse {
  @ApiProperty({ type: String, nullable: true }) type!: string | null;
  @ApiProperty({ type: String, nullable: true }) id!: string | null;
}

export class AuditEventResponse {
  @ApiProperty({ example: '42' }) seq!: string;
  @ApiProperty({ format: 'date-time' }) occurredAt!: string;
  @ApiProperty({ type: AuditActorResponse }) actor!: AuditActorResponse;
  @ApiProperty({ example: 'auth.login' }) action!: string;
  @ApiProperty({ enum: ['success', 'failure', 'denied'] }) outcome!: string;
  @ApiProperty({ type: AuditResourceResponse }) resource!: AuditResourceResponse;
  @ApiProperty({ type: String, nullable: true, format: 'uuid' }) subjectId!: string | null;
  @ApiProperty({ type: String, nullable: true }) requestId!: string | null;
  @ApiProperty({ type: 'object', additionalProperties: true }) details!: Record<string, unknown>;
  @ApiProperty() prevHash!: string;
  @ApiProperty() hash!: string;
}

export class AuditEventPageResponse {
  @ApiProperty({ type: [AuditEventResponse] }) items!: AuditEventResponse[];
  @ApiProperty({ type: String, nullable: true }) nextCursor!: string | null;
}

export class AuditVerifyResponse {
  @ApiProperty() valid!: boolean;
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
  @ApiProperty({ enum: ['Ed25519'] }) algorithm!: 'Ed25519';
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
