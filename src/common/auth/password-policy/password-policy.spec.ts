import { passwordProblems } from './password-policy';

describe('password policy', () => {
  it('accepts a long uncommon password', () => {
    expect(passwordProblems('correct horse battery', 'ayse@example.org')).toEqual([]);
  });

  it('refuses passwords outside 12–128 characters', () => {
    expect(passwordProblems('short1!', 'a@b.co')).toEqual(['must be 12 to 128 characters long']);
    expect(passwordProblems('x'.repeat(64) + 'y'.repeat(65), 'a@b.co')).toEqual([
      'must be 12 to 128 characters long',
    ]);
  });

  it('refuses the e-mail address and its local part', () => {
    expect(passwordProblems('Ayse.Yilmaz@Example.org', 'ayse.yilmaz@example.org')).toContain(
      'must not be your e-mail address',
    );
    expect(passwordProblems('ayse.yilmaz.md', 'ayse.yilmaz.md@example.org')).toContain(
      'must not be your e-mail address',
    );
  });

  it('refuses common passwords case-insensitively and single repeated characters', () => {
    expect(passwordProblems('Password1234', 'a@b.co')).toEqual([
      'is too common; choose a less predictable password',
    ]);
    expect(passwordProblems('zzzzzzzzzzzzzz', 'a@b.co')).toEqual([
      'is too common; choose a less predictable password',
    ]);
  });
});
