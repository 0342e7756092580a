// Turkish and English (i18next): the language comes from the browser (navigator.languages),
// a choice made in the header overrides it and is remembered in localStorage. Static texts
// carry `data-i18n="key"` (textContent) or `data-i18n-attr="attr:key,…"`; dynamic ones call
// t(). Interpolated values are never HTML-escaped by i18next here (escapeValue: false)
// because every text goes to the page through textContent, never innerHTML.
import i18next, { type TOptions } from 'i18next';
import { en } from './locales/en.js';
import { tr } from './locales/tr.js';

export type Language = 'en' | 'tr';
export const LANGUAGES: readonly Language[] = ['tr', 'en'];
const STORAGE_KEY = 'hekim-app.language';

// The browser's first language that we speak; English otherwise.
export function pickLanguage(preferred: readonly string[], stored?: string | null): Language {
  if (stored === 'en' || stored === 'tr') return stored;
  for (const tag of preferred) {
    const base = tag.toLowerCase().split('-')[0];
    if (base === 'tr' || base === 'en') return base;
  }
  return 'en';
}

const listeners: (() => void)[] = [];

export async function initI18n(): Promise<void> {
  let stored: string | null = null;
  try {
    stored = localStorage.getItem(STORAGE_KEY);
  } catch {
    // Storage blocked: the browser's language it is.
  }
  await i18next.init({
    lng: pickLanguage(navigator.languages, stored),
    fallbackLng: 'en',
    resources: { en: { translation: en }, tr: { translation: tr } },
    interpolation: { escapeValue: false },
    returnNull: false,
  });
  applyTexts(document);
}

export function language(): Language {
  return i18next.language === 'tr' ? 'tr' : 'en';
}

export async function setLanguage(lang: Language): Promise<void> {
  try {
    localStorage.setItem(STORAGE_KEY, lang);
  } catch {
    // Not remembered; still switched.
  }
  await i18next.changeLanguage(lang);
  applyTexts(document);
  for (const listener of listeners) listener();
}

// Re-renders dynamic parts after a language switch.
export function onLanguageChange(listener: () => void): void {
  listeners.push(listener);
}

export function t(key: string, options?: TOptions): string {
  return i18next.t(key, options ?? {});
}

export function applyTexts(root: ParentNode): void {
  document.documentElement.lang = language();
  document.title = t('app.title');
  for (const el of root.querySelectorAll<HTMLElement>('[data-i18n]')) {
    el.textContent = t(el.dataset.i18n ?? '');
  }
  for (const el of root.querySelectorAll<HTMLElement>('[data-i18n-attr]')) {
    for (const pair of (el.dataset.i18nAttr ?? '').split(',')) {
      const [attr, key] = pair.split(':');
      if (attr && key) el.setAttribute(attr.trim(), t(key.trim()));
    }
  }
}

// "12 min 5 s" / "1 h 3 min" / "40 s" in the current language.
export function formatDuration(totalSeconds: number): string {
  const s = Math.max(0, Math.floor(totalSeconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (h > 0) return t('duration.hours', { h, m });
  if (m > 0) return t('duration.minutes', { m, s: s % 60 });
  return t('duration.seconds', { s });
}

// The running timer on the call screen: 04:09, or 1:02:09 past an hour.
export function formatClock(totalSeconds: number): string {
  const s = Math.max(0, Math.floor(totalSeconds));
  const pad = (n: number): string => String(n).padStart(2, '0');
  const h = Math.floor(s / 3600);
  const rest = `${pad(Math.floor((s % 3600) / 60))}:${pad(s % 60)}`;
  return h > 0 ? `${h}:${rest}` : rest;
}

// An instant in the reader's time zone, in the page's language.
export function formatWhen(iso: string): string {
  return new Date(iso).toLocaleString(locale(), {
    weekday: 'short',
    day: 'numeric',
    month: 'short',
    hour: '2-digit',
    minute: '2-digit',
  });
}

export function formatTime(iso: string): string {
  return new Date(iso).toLocaleTimeString(locale(), { hour: '2-digit', minute: '2-digit' });
}

function locale(): string {
  return language() === 'tr' ? 'tr-TR' : 'en-GB';
}
