import { toVerifiedAccess } from './access-token.service';

describe('toVerifiedAccess', () => {
  const valid = {
    sub: '6f1c0b7e-8a55-4c1e-9a52-3f1f0f6e2d10',
    sid: '0b1e0d62-7d4c-4a59-9c43-2f0b8f0d0e11',
    role: 'doctor',
    jti: 'a',
    typ: 'access',
    mfa: true,
    iat: 1,
    nbf: 1,
    exp: 2,
  };

  it('maps a complete claim set', () => {
    expect(toVerifiedAccess(valid)).toEqual({
      id: valid.sub,
      role: 'doctor',
      sessionId: valid.sid,
      mfaEnrolled: true,
      expiresAt: new Date(2000),
    });
  });

  it.each([
    ['typ', 'refresh'],
    ['sub', 'not-a-uuid'],
    ['sid', 42],
    ['role', 'root'],
    ['jti', ''],
    ['mfa', 'yes'],
    ['iat', '1'],
    ['nbf', undefined],
    ['exp', null],
  ])('refuses a bad %s', (claim, value) => {
    expect(toVerifiedAccess({ ...valid, [claim]: value })).toBeUndefined();
  });
});
