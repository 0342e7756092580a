import { COMMON_PASSWORDS } from './common-passwords';

export const PASSWORD_MIN_LENGTH = 12;
export const PASSWORD_MAX_LENGTH = 128;

const COMMON = new Set(COMMON_PASSWORDS);

// NIST SP 800-63B style: length and a blocklist, no composition rules. Returns the reasons a
// password is refused (empty when it is acceptable); messages never echo the password.
export function passwordProblems(password: string, email: string): string[] {
  const problems: string[] = [];
  const length = [...password].length;
  if (length < PASSWORD_MIN_LENGTH || length > PASSWORD_MAX_LENGTH) {
    problems.push(`must be ${PASSWORD_MIN_LENGTH} to ${PASSWORD_MAX_LENGTH} characters long`);
  }
  const lower = password.toLowerCase();
  const mail = email.trim().toLowerCase();
  const local = mail.split('@')[0] ?? '';
  if (lower === mail || (local.length >= 4 && lower === local)) {
    problems.push('must not be your e-mail address');
  }
  if (COMMON.has(lower) || /^(.)\1+$/.test(password)) {
    problems.push('is too common; choose a less predictable password');
  }
  return problems;
}
