import { ConsentPurpose } from './consent-purpose';
import type { ConsentGrantEntity } from './consent.entity';
import { toConsentExport, toConsentResponse } from './consent.mapper';

const base = {
  id: 'g1',
  userId: 'u1',
  purpose: ConsentPurpose.Telemedicine,
  version: 2,
  grantedAt: new Date('2026-01-01T10:00:00Z'),
  withdrawnAt: null,
  supersededAt: null,
  ip: '192.0.2.1',
  userAgent: 'UA',
} satisfies ConsentGrantEntity;

describe('consent mapper', () => {
  it('shows a grant in force without withdrawal and without its origin', () => {
    expect(toConsentResponse(base)).toEqual({
      purpose: 'telemedicine',
      version: 2,
      grantedAt: '2026-01-01T10:00:00.000Z',
      withdrawnAt: null,
    });
  });

  it('shows a superseded grant as no longer in force, from that moment', () => {
    const superseded = { ...base, supersededAt: new Date('2026-02-01T00:00:00Z') };
    expect(toConsentResponse(superseded).withdrawnAt).toBe('2026-02-01T00:00:00.000Z');
    expect(toConsentExport(superseded)).toMatchObject({
      supersededAt: '2026-02-01T00:00:00.000Z',
      ip: '192.0.2.1',
      userAgent: 'UA',
    });
  });
});
