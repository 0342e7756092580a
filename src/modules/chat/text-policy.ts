import { ChatErrors } from './chat.errors';

// C0 controls but tab and newline, DEL, C1 controls, and the bidirectional overrides and
// isolates that make text read differently from what it holds ("Trojan Source").
// eslint-disable-next-line no-control-regex -- control characters are what it finds
const NOT_PLAIN = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069]/u;

// A message's text as stored: NFC-normalised, line ends as \n, judged as plain text. Markup is
// not refused (a patient may write "<5 mg"): it is text, and every client renders it as text.
// Returns null for no text; throws the refusal otherwise.
export function plainText(text: string | undefined, maxLength: number): string | null {
  if (text === undefined) return null;
  const normalised = text.normalize('NFC').replace(/\r\n?/g, '\n');
  if (normalised.trim() === '') return null;
  if ([...normalised].length > maxLength) throw ChatErrors.tooLong(maxLength);
  if (NOT_PLAIN.test(normalised)) throw ChatErrors.notPlain();
  return normalised;
}
