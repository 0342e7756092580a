// What a person consents to (docs/compliance.md). `telemedicine` gates
// consultations and calls; `data_processing` covers keeping the account's health-related
// records. A new purpose needs a seeded text (a migration) before anyone can grant it.
export enum ConsentPurpose {
  Telemedicine = 'telemedicine',
  DataProcessing = 'data_processing',
}

export const CONSENT_PURPOSES: readonly ConsentPurpose[] = Object.values(ConsentPurpose);
