import type { ConsentGrantEntity, ConsentTextEntity } from './consent.entity';
import type { ConsentResponse, ConsentTextResponse, RequiredConsent } from './dto/consent.dto';

// A grant replaced by one of a newer version is no longer in force: to the person it reads
// as withdrawn at that moment (the database keeps the difference).
export function toConsentResponse(grant: ConsentGrantEntity): ConsentResponse {
  const ended = grant.withdrawnAt ?? grant.supersededAt;
  return {
    purpose: grant.purpose,
    version: grant.version,
    grantedAt: grant.grantedAt.toISOString(),
    withdrawnAt: ended ? ended.toISOString() : null,
  };
}

export function toConsentTextResponse(text: ConsentTextEntity): ConsentTextResponse {
  return {
    purpose: text.purpose,
    version: text.version,
    text: text.text,
    publishedAt: text.publishedAt.toISOString(),
  };
}

export function toRequiredConsent(text: ConsentTextEntity): RequiredConsent {
  return { purpose: text.purpose, version: text.version, text: text.text };
}

// Export shape (data-subject access): the grant with where it came from.
export function toConsentExport(grant: ConsentGrantEntity): Record<string, unknown> {
  return {
    ...toConsentResponse(grant),
    supersededAt: grant.supersededAt?.toISOString() ?? null,
    ip: grant.ip,
    userAgent: grant.userAgent,
  };
}
