// What each owner of personal data declares about its processing, beside its export and
// erasure (PersonalDataContributor.processing): the processing inventory (KVKK VERBIS, GDPR
// art. 30 style; docs/compliance.md, C18) is generated from these declarations and the
// configured providers, never written by hand.

export enum DataCategory {
  Identity = 'identity',
  Contact = 'contact',
  Health = 'health',
  Authentication = 'authentication',
  Security = 'security',
  Device = 'device',
  Communication = 'communication',
  Scheduling = 'scheduling',
  Consent = 'consent',
  Professional = 'professional',
}

export enum DataSubjectGroup {
  Patients = 'patients',
  Clinicians = 'clinicians',
  Staff = 'staff',
  // People let in by an invitation link without an account: an invited patient, a relative,
  // an interpreter, a companion (docs/appointments.md, "Invitations").
  Invitees = 'invitees',
}

// KVKK art. 5 (6 for health data) and GDPR art. 6 (9 for health data), named by their ground.
export enum LegalBasis {
  Contract = 'contract',
  LegalObligation = 'legal_obligation',
  ExplicitConsent = 'explicit_consent',
  HealthCare = 'health_care',
  VitalInterest = 'vital_interest',
  LegitimateInterest = 'legitimate_interest',
  LegalClaims = 'legal_claims',
}

// Providers outside Hekim that receive rows of a table when configured (docs/configuration.md).
export enum Processor {
  Smtp = 'smtp',
  Sms = 'sms',
  Push = 'push',
  Webhooks = 'webhooks',
  Siem = 'siem',
}

export interface ProcessingDeclaration {
  readonly dataCategories: readonly DataCategory[];
  readonly dataSubjects: readonly DataSubjectGroup[];
  readonly purposes: readonly string[];
  readonly legalBases: readonly LegalBasis[];
  // How long rows are kept and what ends them (a setting, an erasure, the person's account).
  readonly retention: string;
  // Roles inside Hekim that see the rows.
  readonly internalRecipients: readonly string[];
  // Providers the rows (or messages built from them) go to when configured.
  readonly processors: readonly Processor[];
  readonly securityMeasures: readonly string[];
}

// Measures every table has (docs/security.md): stated once, listed in each entry.
export const COMMON_MEASURES = [
  'TLS in transit',
  'role-based access checked per request',
  'access recorded in the hash-chained audit trail',
] as const;
