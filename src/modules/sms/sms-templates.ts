import type { Locale } from '../users/user.entity';

// Short texts for the SMS channel (docs/notifications.md); an SMS carries no health data.
export const SMS_KINDS = [
  'invitation',
  'appointment_booked',
  'appointment_changed',
  'appointment_reminder',
] as const;
export type SmsKind = (typeof SMS_KINDS)[number];

export function isSmsKind(kind: string): kind is SmsKind {
  return (SMS_KINDS as readonly string[]).includes(kind);
}

type Payload = Record<string, unknown>;

function when(p: Payload, locale: Locale): string {
  const iso = typeof p.start === 'string' ? new Date(p.start) : undefined;
  if (!iso || Number.isNaN(iso.getTime())) return '';
  const timeZone = typeof p.timezone === 'string' ? p.timezone : 'UTC';
  try {
    return new Intl.DateTimeFormat(locale === 'tr' ? 'tr-TR' : 'en-GB', {
      dateStyle: 'short',
      timeStyle: 'short',
      timeZone,
    }).format(iso);
  } catch {
    return `${iso.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
  }
}

function link(appBaseUrl: string, p: Payload): string {
  const url = new URL(appBaseUrl);
  if (typeof p.token === 'string') url.searchParams.set('invitation', p.token);
  return url.toString();
}

export function renderSms(kind: SmsKind, locale: Locale, p: Payload, appBaseUrl: string): string {
  const at = when(p, locale);
  const url = link(appBaseUrl, p);
  const tr = locale === 'tr';
  switch (kind) {
    case 'invitation':
      return tr
        ? `Hekim: ${at ? `${at} ` : ''}görüntülü görüşme davetiniz: ${url}`
        : `Hekim: your video consultation${at ? ` on ${at}` : ''}: ${url}`;
    case 'appointment_booked':
      return tr
        ? `Hekim: randevunuz ${at} için oluşturuldu. ${url}`
        : `Hekim: appointment booked for ${at}. ${url}`;
    case 'appointment_changed':
      return tr
        ? p.status === 'cancelled'
          ? `Hekim: ${at} randevunuz iptal edildi.`
          : `Hekim: randevunuzun yeni zamanı ${at}. ${url}`
        : p.status === 'cancelled'
          ? `Hekim: your appointment of ${at} was cancelled.`
          : `Hekim: your appointment is now at ${at}. ${url}`;
    case 'appointment_reminder':
      return tr ? `Hekim: randevunuz ${at}. ${url}` : `Hekim: your appointment is at ${at}. ${url}`;
  }
}
