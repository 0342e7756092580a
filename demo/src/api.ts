// REST client for /api/v1 with access-token refresh (docs/contract.md).
//
// Tokens live in sessionStorage: each browser tab is its own signed-in user (a doctor in one
// tab, a patient in the other), and a reload keeps the tab signed in. A real app would keep
// the refresh token somewhere sturdier (an httpOnly cookie, the OS keychain on mobile).
import type {
  Appointment,
  CareRelationship,
  Call,
  ClinicianListing,
  ConsentsResponse,
  IceServersResponse,
  LoginResponse,
  MailboxEntry,
  Page,
  Problem,
  QueueEntry,
  Redeemed,
  Room,
  Slot,
  TokenPair,
  User,
} from './types.js';
import type { ChatAttachment, ChatMessage } from './contract/signaling-events.js';

const BASE = '/api/v1';
const STORAGE_KEY = 'hekim-demo.tokens';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    detail: string,
  ) {
    super(detail);
    this.name = 'ApiError';
  }
}

type TokenListener = (accessToken: string | undefined) => void;

// Renews a grant that has no refresh token (an invitation's guest redeems its link again).
type Renew = () => Promise<{ accessToken: string; expiresIn: number }>;

export class Api {
  private tokens: TokenPair | undefined = readStoredTokens();
  private renewGrant: Renew | undefined;
  private refreshing: Promise<void> | undefined;
  private refreshTimer: number | undefined;
  private readonly listeners = new Set<TokenListener>();
  onRefreshFailed: ((error: unknown) => void) | undefined;

  get accessToken(): string | undefined {
    return this.tokens?.accessToken;
  }

  // Signaling subscribes here so it can hand the new token to the server (auth:refresh).
  onTokenChange(listener: TokenListener): void {
    this.listeners.add(listener);
  }

  async register(email: string, password: string, displayName: string): Promise<User> {
    return this.request<User>('POST', '/auth/register', {
      body: { email, password, displayName },
      anonymous: true,
    });
  }

  async login(email: string, password: string, otp?: string): Promise<User> {
    const body = await this.request<LoginResponse>('POST', '/auth/login', {
      body: otp ? { email, password, otp } : { email, password },
      anonymous: true,
    });
    this.setTokens(body);
    return body.user;
  }

  // Account mails (docs/notifications.md): the links carry `?verify=` and `?reset=` tokens.
  async verifyEmail(token: string): Promise<void> {
    await this.request<void>('POST', '/auth/email/verify', { body: { token }, anonymous: true });
  }

  async forgotPassword(email: string): Promise<void> {
    await this.request<void>('POST', '/auth/password/forgot', { body: { email }, anonymous: true });
  }

  async resetPassword(token: string, newPassword: string): Promise<void> {
    await this.request<void>('POST', '/auth/password/reset', {
      body: { token, newPassword },
      anonymous: true,
    });
  }

  // An invitation link's token (docs/appointments.md, "Invitations"): the first redeem on
  // this device answers a device secret that every later redeem must carry.
  redeem(token: string, deviceSecret?: string): Promise<Redeemed> {
    return this.request<Redeemed>('POST', '/invitations/redeem', {
      body: deviceSecret ? { token, deviceSecret } : { token },
      anonymous: true,
    });
  }

  // Signs in with a guest grant; `renew` gets the next one when it runs out.
  useGrant(grant: { accessToken: string; expiresIn: number }, renew: Renew): void {
    this.renewGrant = renew;
    this.setTokens({ ...grant, refreshToken: '', tokenType: 'Bearer' });
  }

  // The local mailbox of development; 404 when the server sends real mail.
  mailbox(): Promise<{ items: MailboxEntry[] }> {
    return this.request<{ items: MailboxEntry[] }>('GET', '/dev/mailbox', { anonymous: true });
  }

  async logout(): Promise<void> {
    const refreshToken = this.tokens?.refreshToken;
    this.renewGrant = undefined;
    try {
      if (this.tokens && refreshToken)
        await this.request<void>('POST', '/auth/logout', { body: { refreshToken } });
    } finally {
      this.setTokens(undefined);
    }
  }

  me(): Promise<User> {
    return this.request<User>('GET', '/users/me');
  }

  // Another person's record; Hekim answers only for people one may see (docs/access-model.md).
  user(id: string): Promise<User> {
    return this.request<User>('GET', `/users/${encodeURIComponent(id)}`);
  }

  // A doctor's patients, a patient's doctors (docs/access-model.md, "Listing").
  careRelationships(): Promise<Page<CareRelationship>> {
    return this.request<Page<CareRelationship>>('GET', '/care-relationships');
  }

  rooms(): Promise<Page<Room>> {
    return this.request<Page<Room>>('GET', '/rooms');
  }

  createRoom(name: string, memberIds: string[]): Promise<unknown> {
    return this.request<unknown>('POST', '/rooms', {
      body: { name, type: 'consultation', memberIds, waitingRoom: true },
    });
  }

  // The invited patient's answer (docs/rooms.md): accepting begins a care relationship with
  // the room's clinicians; declining drops the invitation.
  acceptInvitation(roomId: string): Promise<Room> {
    return this.request<Room>('POST', `/rooms/${encodeURIComponent(roomId)}/accept`);
  }

  declineInvitation(roomId: string): Promise<unknown> {
    return this.request<unknown>('POST', `/rooms/${encodeURIComponent(roomId)}/decline`);
  }

  iceServers(): Promise<IceServersResponse> {
    return this.request<IceServersResponse>('GET', '/ice-servers');
  }

  consents(): Promise<ConsentsResponse> {
    return this.request<ConsentsResponse>('GET', '/consents/me');
  }

  grantConsent(purpose: string, version: string): Promise<unknown> {
    return this.request<unknown>('POST', '/consents', { body: { purpose, version } });
  }

  // ---- The clinic's day (docs/appointments.md) ----

  clinicians(): Promise<Page<ClinicianListing>> {
    return this.request<Page<ClinicianListing>>('GET', '/clinicians?limit=200');
  }

  slots(clinicianId: string, from: Date, to: Date): Promise<Page<Slot>> {
    const query = new URLSearchParams({ from: from.toISOString(), to: to.toISOString() });
    return this.request<Page<Slot>>(
      'GET',
      `/clinicians/${encodeURIComponent(clinicianId)}/slots?${query.toString()}`,
    );
  }

  // Working hours for the demo's doctor: every day, `start`–`end` in their time zone.
  openHours(timezone: string, start: string, end: string, slotMinutes: number): Promise<unknown> {
    const weekly = [1, 2, 3, 4, 5, 6, 7].map((weekday) => ({ weekday, start, end }));
    return this.request<unknown>('PUT', '/clinicians/me/availability', {
      body: { timezone, weekly, slotMinutes, exceptions: [] },
    });
  }

  appointments(from: Date, to: Date): Promise<Page<Appointment>> {
    const query = new URLSearchParams({ from: from.toISOString(), to: to.toISOString() });
    return this.request<Page<Appointment>>('GET', `/appointments?${query.toString()}`);
  }

  book(clinicianId: string, slot: Slot, reason: string): Promise<Appointment> {
    return this.request<Appointment>('POST', '/appointments', {
      body: { clinicianId, start: slot.start, end: slot.end, ...(reason ? { reason } : {}) },
    });
  }

  // check-in, no-show, complete, cancel: the appointment's acts.
  appointmentAct(
    id: string,
    act: 'check-in' | 'no-show' | 'complete' | 'cancel',
    body?: object,
  ): Promise<Appointment> {
    return this.request<Appointment>('POST', `/appointments/${encodeURIComponent(id)}/${act}`, {
      body,
    });
  }

  // The patient's device check before a consultation (docs/appointments.md, "The queue").
  precheck(appointmentId: string, passed: boolean, details: string): Promise<Appointment> {
    return this.request<Appointment>(
      'POST',
      `/appointments/${encodeURIComponent(appointmentId)}/precheck`,
      { body: { passed, details } },
    );
  }

  queue(): Promise<Page<QueueEntry>> {
    return this.request<Page<QueueEntry>>('GET', '/clinicians/me/queue');
  }

  call(id: string): Promise<Call> {
    return this.request<Call>('GET', `/calls/${encodeURIComponent(id)}`);
  }

  // The room's chat history, newest first (docs/chat.md).
  async messages(roomId: string): Promise<Page<ChatMessage>> {
    return this.request<Page<ChatMessage>>(
      'GET',
      `/rooms/${encodeURIComponent(roomId)}/messages?limit=200`,
    );
  }

  async chatReads(roomId: string): Promise<{ userId: string; messageId: string }[]> {
    const chat = await this.request<{ reads: { userId: string; messageId: string }[] }>(
      'GET',
      `/rooms/${encodeURIComponent(roomId)}/chat`,
    );
    return chat.reads;
  }

  // Multipart upload of one file (field `file`); the server judges it by its content.
  async uploadAttachment(roomId: string, file: File): Promise<ChatAttachment> {
    const form = new FormData();
    form.append('file', file, file.name);
    const res = await fetch(`${BASE}/rooms/${encodeURIComponent(roomId)}/attachments`, {
      method: 'POST',
      headers: this.tokens ? { Authorization: `Bearer ${this.tokens.accessToken}` } : {},
      body: form,
    });
    if (!res.ok) throw await toApiError(res);
    return (await res.json()) as ChatAttachment;
  }

  async downloadAttachment(id: string): Promise<Blob> {
    const res = await fetch(`${BASE}/attachments/${encodeURIComponent(id)}`, {
      headers: this.tokens ? { Authorization: `Bearer ${this.tokens.accessToken}` } : {},
    });
    if (!res.ok) throw await toApiError(res);
    return res.blob();
  }

  private async request<T>(
    method: string,
    path: string,
    options: { body?: unknown; anonymous?: boolean; retried?: boolean } = {},
  ): Promise<T> {
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (options.body !== undefined) headers['Content-Type'] = 'application/json';
    if (!options.anonymous && this.tokens) {
      headers.Authorization = `Bearer ${this.tokens.accessToken}`;
    }
    const res = await fetch(BASE + path, {
      method,
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
    });
    // An expired access token: refresh once and replay the request.
    if (res.status === 401 && !options.anonymous && !options.retried && this.tokens) {
      await this.refresh();
      return this.request<T>(method, path, { ...options, retried: true });
    }
    if (!res.ok) throw await toApiError(res);
    if (res.status === 204) return undefined as T;
    return (await res.json()) as T;
  }

  // Refresh tokens rotate: each one works once, and presenting a spent one again revokes the
  // whole family (TOKEN_REUSED). Concurrent callers therefore share one refresh in flight.
  refresh(): Promise<void> {
    this.refreshing ??= this.doRefresh().finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  private async doRefresh(): Promise<void> {
    if (this.renewGrant) {
      const grant = await this.renewGrant();
      this.setTokens({ ...grant, refreshToken: '', tokenType: 'Bearer' });
      return;
    }
    const refreshToken = this.tokens?.refreshToken;
    if (!refreshToken) throw new ApiError(401, 'UNAUTHORIZED', 'Not signed in.');
    try {
      const pair = await this.request<TokenPair>('POST', '/auth/refresh', {
        body: { refreshToken },
        anonymous: true,
      });
      this.setTokens(pair);
    } catch (error) {
      this.setTokens(undefined);
      throw error;
    }
  }

  private setTokens(tokens: TokenPair | undefined): void {
    this.tokens = tokens
      ? {
          accessToken: tokens.accessToken,
          refreshToken: tokens.refreshToken,
          tokenType: tokens.tokenType,
          expiresIn: tokens.expiresIn,
        }
      : undefined;
    if (this.tokens) sessionStorage.setItem(STORAGE_KEY, JSON.stringify(this.tokens));
    else sessionStorage.removeItem(STORAGE_KEY);
    this.scheduleRefresh();
    for (const listener of this.listeners) listener(this.tokens?.accessToken);
  }

  // Refresh a little before the access token expires, so the signaling socket (which cannot
  // replay a request) is handed a fresh token before the server closes it.
  private scheduleRefresh(): void {
    window.clearTimeout(this.refreshTimer);
    if (!this.tokens) return;
    const delayMs = Math.max(5, this.tokens.expiresIn * 0.8) * 1000;
    this.refreshTimer = window.setTimeout(() => {
      // A failed refresh clears the tokens, and the listeners show the page signed out.
      this.refresh().catch((error: unknown) => this.onRefreshFailed?.(error));
    }, delayMs);
  }
}

function readStoredTokens(): TokenPair | undefined {
  const raw = sessionStorage.getItem(STORAGE_KEY);
  if (!raw) return undefined;
  try {
    return JSON.parse(raw) as TokenPair;
  } catch {
    sessionStorage.removeItem(STORAGE_KEY);
    return undefined;
  }
}

async function toApiError(res: Response): Promise<ApiError> {
  const type = res.headers.get('content-type') ?? '';
  if (type.includes('json')) {
    const problem = (await res.json()) as Partial<Problem>;
    return new ApiError(res.status, problem.code ?? 'INTERNAL', problem.detail ?? res.statusText);
  }
  return new ApiError(res.status, 'INTERNAL', `${res.status} ${res.statusText}`);
}
