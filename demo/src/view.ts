// Small DOM helpers. Elements are found by their data-testid, the same handle the browser
// tests use, so the page and its tests cannot drift apart silently.

export function byTestId<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.querySelector<T>(`[data-testid="${id}"]`);
  if (!el) throw new Error(`missing element [data-testid="${id}"]`);
  return el;
}

export function setText(id: string, text: string): void {
  byTestId(id).textContent = text;
}

export function show(id: string, visible: boolean): void {
  byTestId(id).hidden = !visible;
}

export function inputValue(id: string): string {
  return byTestId<HTMLInputElement>(id).value.trim();
}

// The app's screens (index.html, `data-screen`): one shows at a time.
export type Screen = 'signin' | 'home' | 'precheck' | 'call' | 'ended';

export function showScreen(screen: Screen): void {
  let changed = false;
  for (const el of document.querySelectorAll<HTMLElement>('[data-screen]')) {
    const visible = el.dataset.screen === screen;
    if (el.hidden === visible) changed = true;
    el.hidden = !visible;
  }
  // A new screen: its heading is where a screen reader and the keyboard start again.
  if (changed) {
    const heading = document.querySelector<HTMLElement>(`[data-screen="${screen}"] h1`);
    if (heading) {
      heading.tabIndex = -1;
      heading.focus({ preventScroll: true });
    }
  }
}

export function currentScreen(): Screen | undefined {
  return document.querySelector<HTMLElement>('[data-screen]:not([hidden])')?.dataset.screen as
    Screen | undefined;
}

let noticeTimer: number | undefined;

// A short message for the person using the app (already in plain words and their language).
export function notify(message: string): void {
  const el = byTestId('notice');
  el.textContent = message;
  window.clearTimeout(noticeTimer);
  noticeTimer = window.setTimeout(() => (el.textContent = ''), 8000);
}

// The technical log (collapsed "Technical details" at the bottom): what happened, newest first,
// for support. People read notify(); this keeps codes and ids.
export function log(message: string): void {
  const list = byTestId('event-log');
  const item = document.createElement('li');
  item.textContent = `${new Date().toLocaleTimeString()} ${message}`;
  list.prepend(item);
  while (list.children.length > 50) list.lastElementChild?.remove();
}

// The technical form of an error, for the log only (errors.ts has the words people read).
export function errorMessage(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as Error & { code?: unknown }).code;
    return typeof code === 'string' ? `${code}: ${error.message}` : error.message;
  }
  return String(error);
}

export function button(
  testId: string,
  label: string,
  onClick: () => void,
  variant?: 'secondary' | 'ghost' | 'danger' | 'ok',
): HTMLButtonElement {
  const el = document.createElement('button');
  el.type = 'button';
  el.dataset.testid = testId;
  el.textContent = label;
  if (variant) el.className = variant;
  el.onclick = onClick;
  return el;
}

export function element<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  text?: string,
  className?: string,
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (text !== undefined) el.textContent = text;
  if (className) el.className = className;
  return el;
}
