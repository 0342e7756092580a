import {
  CONSENT_PURPOSES,
  ConsentPurpose,
} from '../../src/modules/compliance/consents/consent-purpose';
import { ConsentsRepository } from '../../src/modules/compliance/consents/consents.repository';
import type { TestApp } from './test-app';

// Gives a user the current version of a consent straight through the repository (no HTTP,
// no audit record), the way fixtures create users. Patients made by createUser, signIn and
// insertUser get every purpose this way (grantAllConsents) unless the test asks for
// `consent: false`.
export async function grantConsent(
  t: TestApp,
  userId: string,
  purpose: ConsentPurpose = ConsentPurpose.Telemedicine,
): Promise<void> {
  const consents = t.app.get(ConsentsRepository);
  const current = await consents.currentText(purpose);
  if (!current) throw new Error(`no consent text for ${purpose}`);
  await consents.insertGrant({
    userId,
    purpose,
    version: current.version,
    grantedAt: new Date(),
    ip: null,
    userAgent: 'test fixture',
  });
}

// A patient who has consented to everything: `telemedicine` (the gate) and `data_processing`,
// so that no client shows them a consent step either.
export async function grantAllConsents(t: TestApp, userId: string): Promise<void> {
  for (const purpose of CONSENT_PURPOSES) await grantConsent(t, userId, purpose);
}
