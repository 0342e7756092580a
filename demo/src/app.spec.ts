// The app's own pure helpers (language choice, error messages); the WebRTC and quality logic
// is the SDK's, tested in test/sdk.
import { pickLanguage } from './i18n';
import { errorCodeOf } from './errors';

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
