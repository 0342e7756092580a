import { qualityLevel, QUALITY_THRESHOLDS } from './quality';
import { pickLanguage } from './i18n';
import { errorCodeOf } from './errors';

describe('qualityLevel', () => {
  const clean = { rttMs: 40, packetLossPct: 0, jitterMs: 5 };

  it('is good on a clean connection and at the limits themselves', () => {
    expect(qualityLevel(clean)).toBe('good');
    expect(qualityLevel(QUALITY_THRESHOLDS.fair)).toBe('good');
  });

  it('is fair when any one figure passes the fair limit', () => {
    expect(qualityLevel({ ...clean, rttMs: 350 })).toBe('fair');
    expect(qualityLevel({ ...clean, packetLossPct: 3 })).toBe('fair');
    expect(qualityLevel({ ...clean, jitterMs: 40 })).toBe('fair');
  });

  it('is poor when any one figure passes the poor limit, whatever the others', () => {
    expect(qualityLevel({ ...clean, rttMs: 900 })).toBe('poor');
    expect(qualityLevel({ ...clean, packetLossPct: 12 })).toBe('poor');
    expect(qualityLevel({ ...clean, jitterMs: 120 })).toBe('poor');
  });
});

describe('pickLanguage', () => {
  it('takes a stored choice first, then the browser’s first language we speak, else English', () => {
    expect(pickLanguage(['en-US'], 'tr')).toBe('tr');
    expect(pickLanguage(['de-DE', 'tr-TR', 'en'], null)).toBe('tr');
    expect(pickLanguage(['EN-gb'], undefined)).toBe('en');
    expect(pickLanguage(['fr-FR'], 'xx')).toBe('en');
  });
});

describe('errorCodeOf', () => {
  it('maps contract codes and media refusals to a message key, and nothing else', () => {
    expect(errorCodeOf(Object.assign(new Error('x'), { code: 'CONSENT_REQUIRED' }))).toBe(
      'CONSENT_REQUIRED',
    );
    expect(errorCodeOf(Object.assign(new Error('x'), { code: 'SOMETHING_NEW' }))).toBeUndefined();
    const denied = new Error('Permission denied');
    denied.name = 'NotAllowedError';
    expect(errorCodeOf(denied)).toBe('MEDIA');
    expect(errorCodeOf('a string')).toBeUndefined();
  });
});
