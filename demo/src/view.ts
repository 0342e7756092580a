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

// The event log at the bottom of the page: what happened, newest first.
export function log(message: string): void {
  const list = byTestId('event-log');
  const item = document.createElement('li');
  item.textContent = `${new Date().toLocaleTimeString()} ${message}`;
  list.prepend(item);
  while (list.children.length > 50) list.lastElementChild?.remove();
}

export function errorMessage(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as Error & { code?: unknown }).code;
    return typeof code === 'string' ? `${code}: ${error.message}` : error.message;
  }
  return String(error);
}
