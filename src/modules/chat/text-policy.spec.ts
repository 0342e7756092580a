import { AppException } from '../../common/errors/app.exception';
import { plainText } from './text-policy';

function reasonOf(run: () => unknown): unknown {
  try {
    run();
  } catch (err) {
    return err instanceof AppException ? err.extensions.reason : err;
  }
  return undefined;
}

describe('plainText', () => {
  it('keeps plain text, markup included, normalised to NFC with \\n line ends', () => {
    expect(plainText('Take <5 mg> twice\r\ndaily', 100)).toBe('Take <5 mg> twice\ndaily');
    expect(plainText('Cafe\u0301', 100)).toBe('Café');
  });

  it('treats absent or blank text as no text', () => {
    expect(plainText(undefined, 10)).toBeNull();
    expect(plainText(' \n\t ', 10)).toBeNull();
  });

  it('counts characters, not UTF-16 units, against the limit', () => {
    expect(plainText('😀😀😀', 3)).toBe('😀😀😀');
    expect(reasonOf(() => plainText('😀😀😀😀', 3))).toBe('TEXT_TOO_LONG');
  });

  it('refuses control and direction-override characters', () => {
    expect(reasonOf(() => plainText('a\u0000b', 10))).toBe('TEXT_NOT_PLAIN');
    expect(reasonOf(() => plainText('a\u001bb', 10))).toBe('TEXT_NOT_PLAIN');
    expect(reasonOf(() => plainText('pay \u202Eolleh', 20))).toBe('TEXT_NOT_PLAIN');
    expect(plainText('tab\there', 20)).toBe('tab\there');
  });
});
