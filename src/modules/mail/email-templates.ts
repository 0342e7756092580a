import type { Locale } from '../users/user.entity';
import { appointmentCalendar, type CalendarPart } from './appointment-calendar';

export interface RenderedEmail {
  subject: string;
  text: string;
  html: string;
  // The appointment's iCalendar event, for appointment and invitation mails.
  calendar?: CalendarPart;
}

// The e-mails Hekim sends, by outbox `kind`. Appointment and invitation mails are ready for
// the scheduling features; their payloads are documented in docs/notifications.md.
export const EMAIL_KINDS = [
  'password_reset',
  'email_verification',
  'account_exists',
  'appointment_booked',
  'appointment_changed',
  'appointment_reminder',
  'invitation',
] as const;
export type EmailKind = (typeof EMAIL_KINDS)[number];

export function isEmailKind(kind: string): kind is EmailKind {
  return (EMAIL_KINDS as readonly string[]).includes(kind);
}

interface Parts {
  subject: string;
  // Paragraphs of plain text; `{link}` is where the button goes.
  lines: string[];
  action?: { label: string; param?: 'reset' | 'verify' | 'invitation' };
}

type Payload = Record<string, unknown>;

const str = (p: Payload, key: string): string | undefined =>
  typeof p[key] === 'string' ? p[key] : undefined;

// A time in the person's language and time zone (UTC when none is known).
function when(p: Payload, key: string, locale: Locale): string {
  const iso = str(p, key);
  const date = iso ? new Date(iso) : undefined;
  if (!date || Number.isNaN(date.getTime())) return '';
  const timeZone = str(p, 'timezone') ?? 'UTC';
  try {
    return new Intl.DateTimeFormat(locale === 'tr' ? 'tr-TR' : 'en-GB', {
      dateStyle: 'full',
      timeStyle: 'short',
      timeZone,
    }).format(date);
  } catch {
    // An unknown time zone name: fall back to UTC rather than not sending.
    return `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
  }
}

const TEMPLATES: Record<EmailKind, Record<Locale, (p: Payload) => Parts>> = {
  password_reset: {
    tr: (p) => ({
      subject: 'Hekim: parola sıfırlama',
      lines: [
        'Hekim hesabınız için parola sıfırlama isteği aldık.',
        `Yeni bir parola belirlemek için aşağıdaki bağlantıyı açın. Bağlantı ${when(p, 'expiresAt', 'tr')} tarihine kadar ve yalnızca bir kez geçerlidir.`,
        'Bu isteği siz yapmadıysanız bu e-postayı dikkate almayın; parolanız değişmez.',
      ],
      action: { label: 'Parolamı sıfırla', param: 'reset' },
    }),
    en: (p) => ({
      subject: 'Hekim: reset your password',
      lines: [
        'We received a request to reset the password of your Hekim account.',
        `Open the link below to choose a new password. It works once, until ${when(p, 'expiresAt', 'en')}.`,
        'If you did not ask for this, ignore this e-mail; your password stays as it is.',
      ],
      action: { label: 'Reset my password', param: 'reset' },
    }),
  },
  email_verification: {
    tr: (p) => ({
      subject: 'Hekim: e-posta adresinizi doğrulayın',
      lines: [
        'Hekim’e hoş geldiniz. Hesabınızı kullanmaya başlamak için e-posta adresinizi doğrulayın.',
        `Bağlantı ${when(p, 'expiresAt', 'tr')} tarihine kadar geçerlidir.`,
        'Bu hesabı siz açmadıysanız bu e-postayı dikkate almayın.',
      ],
      action: { label: 'E-posta adresimi doğrula', param: 'verify' },
    }),
    en: (p) => ({
      subject: 'Hekim: verify your e-mail address',
      lines: [
        'Welcome to Hekim. Verify your e-mail address to start using your account.',
        `The link works until ${when(p, 'expiresAt', 'en')}.`,
        'If you did not create this account, ignore this e-mail.',
      ],
      action: { label: 'Verify my e-mail address', param: 'verify' },
    }),
  },
  account_exists: {
    tr: () => ({
      subject: 'Hekim: bu adresle zaten bir hesabınız var',
      lines: [
        'Bu e-posta adresiyle yeni bir Hekim hesabı açılmak istendi, ancak bu adresle zaten bir hesabınız var.',
        'Giriş yapabilir ya da parolanızı unuttuysanız giriş sayfasından sıfırlayabilirsiniz.',
        'Bu isteği siz yapmadıysanız bu e-postayı dikkate almayın; hesabınızda bir değişiklik yapılmadı.',
      ],
      action: { label: 'Hekim’e git' },
    }),
    en: () => ({
      subject: 'Hekim: you already have an account',
      lines: [
        'Someone asked to create a Hekim account with this e-mail address, but you already have one.',
        'Sign in, or reset your password from the sign-in page if you forgot it.',
        'If this was not you, ignore this e-mail; nothing about your account changed.',
      ],
      action: { label: 'Go to Hekim' },
    }),
  },
  appointment_booked: {
    tr: (p) => ({
      subject: 'Hekim: randevunuz oluşturuldu',
      lines: [
        `Randevunuz ${when(p, 'start', 'tr')} için oluşturuldu${str(p, 'clinicianName') ? ` (${str(p, 'clinicianName')})` : ''}.`,
        'Randevu saatinden biraz önce bağlantıyı açarak bekleme odasına girebilirsiniz.',
      ],
      action: { label: 'Randevuyu görüntüle' },
    }),
    en: (p) => ({
      subject: 'Hekim: your appointment is booked',
      lines: [
        `Your appointment is booked for ${when(p, 'start', 'en')}${str(p, 'clinicianName') ? ` with ${str(p, 'clinicianName')}` : ''}.`,
        'Shortly before it starts, open the link to enter the waiting room.',
      ],
      action: { label: 'View the appointment' },
    }),
  },
  appointment_changed: {
    tr: (p) => ({
      subject: 'Hekim: randevunuz değişti',
      lines: [
        str(p, 'status') === 'cancelled'
          ? `${when(p, 'start', 'tr')} tarihli randevunuz iptal edildi.`
          : `Randevunuzun yeni zamanı: ${when(p, 'start', 'tr')}.`,
      ],
      action: { label: 'Randevuyu görüntüle' },
    }),
    en: (p) => ({
      subject: 'Hekim: your appointment changed',
      lines: [
        str(p, 'status') === 'cancelled'
          ? `Your appointment of ${when(p, 'start', 'en')} was cancelled.`
          : `Your appointment is now at ${when(p, 'start', 'en')}.`,
      ],
      action: { label: 'View the appointment' },
    }),
  },
  appointment_reminder: {
    tr: (p) => ({
      subject: 'Hekim: randevu hatırlatması',
      lines: [
        `Randevunuz ${when(p, 'start', 'tr')} tarihinde.`,
        'Zamanı geldiğinde bağlantıyı açarak bekleme odasına girin.',
      ],
      action: { label: 'Randevuya git' },
    }),
    en: (p) => ({
      subject: 'Hekim: appointment reminder',
      lines: [
        `Your appointment is at ${when(p, 'start', 'en')}.`,
        'When it is time, open the link to enter the waiting room.',
      ],
      action: { label: 'Go to the appointment' },
    }),
  },
  invitation: {
    tr: (p) => ({
      subject: 'Hekim: görüntülü görüşme daveti',
      lines: [
        `${str(p, 'inviterName') ?? 'Sağlık ekibiniz'} sizi ${when(p, 'start', 'tr') || 'bir'} görüntülü görüşmeye davet etti.`,
        'Bağlantı görüşmeden kısa süre önce açılır ve yalnızca ilk açıldığı cihazda çalışır; kimseyle paylaşmayın.',
      ],
      action: { label: 'Görüşmeye katıl', param: 'invitation' },
    }),
    en: (p) => ({
      subject: 'Hekim: invitation to a video consultation',
      lines: [
        `${str(p, 'inviterName') ?? 'Your care team'} invited you to a video consultation${when(p, 'start', 'en') ? ` on ${when(p, 'start', 'en')}` : ''}.`,
        'The link opens shortly before the consultation and works on the first device that opens it only: do not share it.',
      ],
      action: { label: 'Join the consultation', param: 'invitation' },
    }),
  },
};

// The link of a message: the app's base URL with one query parameter carrying the token.
export function messageLink(
  appBaseUrl: string,
  param: 'reset' | 'verify' | 'invitation' | undefined,
  token: string | undefined,
): string {
  const url = new URL(appBaseUrl);
  if (param && token) url.searchParams.set(param, token);
  return url.toString();
}

const escapeHtml = (s: string): string =>
  s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );

export function renderEmail(
  kind: EmailKind,
  locale: Locale,
  payload: Payload,
  appBaseUrl: string,
): RenderedEmail {
  const parts = TEMPLATES[kind][locale](payload);
  const link = parts.action
    ? messageLink(appBaseUrl, parts.action.param, str(payload, 'token'))
    : undefined;
  const text = [
    ...parts.lines,
    ...(link && parts.action ? [`${parts.action.label}: ${link}`] : []),
    '—',
    'Hekim',
  ].join('\n\n');
  const html = `<!doctype html>
<html lang="${locale}"><head><meta charset="utf-8"><title>${escapeHtml(parts.subject)}</title></head>
<body style="font-family: system-ui, sans-serif; line-height: 1.5; color: #1f2933; max-width: 36em; margin: 0 auto; padding: 1em">
${parts.lines.map((l) => `<p>${escapeHtml(l)}</p>`).join('\n')}
${
  link && parts.action
    ? `<p><a href="${escapeHtml(link)}" style="display: inline-block; padding: .6em 1.2em; background: #0b6e4f; color: #fff; text-decoration: none; border-radius: 4px">${escapeHtml(parts.action.label)}</a></p>
<p style="font-size: .85em; color: #52606d">${escapeHtml(link)}</p>`
    : ''
}
<p style="font-size: .85em; color: #52606d">Hekim</p>
</body></html>
`;
  // An invitation to an appointment carries the appointment's event too.
  const calendar =
    kind.startsWith('appointment_') || kind === 'invitation'
      ? appointmentCalendar(payload)
      : undefined;
  return { subject: parts.subject, text, html, ...(calendar ? { calendar } : {}) };
}
