import { ConsentPurpose } from '../../src/modules/compliance/consents/consent-purpose';
import { ConsentsRepository } from '../../src/modules/compliance/consents/consents.repository';
import type { TestApp } from './test-app';

// Gives a user the current version of a consent straight through the repository (no HTTP,
// no audit record), the way fixtures create users. Patients made by createUser, signIn and
// insertUser get `telemedicine` this way unless the test asks for `consent: false`.
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
