import { type CountryCode, parsePhoneNumberFromString } from 'libphonenumber-js';

// A phone number as the SMS gateway wants it (E.164, e.g. +905321234567), or undefined when
// it is not a valid number. Numbers without a country code are read as `defaultCountry`'s.
export function normalizePhone(raw: string, defaultCountry: CountryCode): string | undefined {
  const parsed = parsePhoneNumberFromString(raw, defaultCountry);
  return parsed?.isValid() ? parsed.number : undefined;
}
