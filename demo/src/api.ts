// The app's REST calls, made with the SDK's client (@hekim/client's createApiClient, typed
// from Hekim's OpenAPI document: paths, parameters and bodies are checked by the compiler),
// plus what only an app decides: where the tokens live and when they are refreshed
// (docs/contract.md).
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
  QueueEntry,
  Redeemed,
  Room,
  Slot,
  TokenPair,
  User,
} from './types.js';
import {
  type ApiClient,
  type ChatAttachment,
  type ChatMessage,
  type components,
  createApiClient,
  HekimError,
  unwrap,
} from '../../packages/client/src/index.js';

type ConsentPurpose = components['schemas']['ConsentPurpose'];

// An answer of the SDK's client, whatever its path.
type Answer = { data?: unknown; error?: unknown; response: Response };

const STORAGE_KEY = 'hekim-demo.tokens';

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
  // Anonymous calls (sign-in, registration, links) and calls as the signed-in person; the
  // latter refresh an expired access token once and replay the request.
  private readonly anonymous: ApiClient = createApiClient({ baseUrl: location.origin });
  private readonly client: ApiClient = createApiClient({
    baseUrl: location.origin,
    token: () => this.tokens?.accessToken,
    fetch: (request) => this.fetchRefreshing(request),
  });

  get accessToken(): string | undefined {
    return this.tokens?.accessToken;
  }

  // Signaling subscribes here so it can hand the new token to the server (auth:refresh).
  onTokenChange(listener: TokenListener): void {
    this.listeners.add(listener);
  }

  async register(email: string, password: string, displayName: string): Promise<User> {
    return this.data<User>(
      this.anonymous.POST('/api/v1/auth/register', { body: { email, password, displayName } }),
    );
  }

  async login(email: string, password: string, otp?: string): Promise<User> {
    const body = await this.data<LoginResponse>(
      this.anonymous.POST('/api/v1/auth/login', {
        body: otp ? { email, password, otp } : { email, password },
      }),
    );
    this.setTokens(body);
    return body.user;
  }

  // Account mails (docs/notifications.md): the links carry `?verify=` and `?reset=` tokens.
  async verifyEmail(token: string): Promise<void> {
    await this.data(this.anonymous.POST('/api/v1/auth/email/verify', { body: { token } }));
  }

  async forgotPassword(email: string): Promise<void> {
    await this.data(this.anonymous.POST('/api/v1/auth/password/forgot', { body: { email } }));
  }

  async resetPassword(token: string, newPassword: string): Promise<void> {
    await this.data(
      this.anonymous.POST('/api/v1/auth/password/reset', { body: { token, newPassword } }),
    );
  }

  // An invitation link's token (docs/appointments.md, "Invitations"): the first redeem on
  // this device answers a device secret that every later redeem must carry.
  redeem(token: string, deviceSecret?: string): Promise<Redeemed> {
    return this.data<Redeemed>(
      this.anonymous.POST('/api/v1/invitations/redeem', {
        body: deviceSecret ? { token, deviceSecret } : { token },
      }),
    );
  }

  // Signs in with a guest grant; `renew` gets the next one when it runs out.
  useGrant(grant: { accessToken: string; expiresIn: number }, renew: Renew): void {
    this.renewGrant = renew;
    this.setTokens({ ...grant, refreshToken: '', tokenType: 'Bearer' });
  }

  // The local mailbox of development; 404 when the server sends real mail.
  mailbox(): Promise<{ items: MailboxEntry[] }> {
    return this.data(this.anonymous.GET('/api/v1/dev/mailbox'));
  }

  async logout(): Promise<void> {
    const refreshToken = this.tokens?.refreshToken;
    this.renewGrant = undefined;
    try {
      if (this.tokens && refreshToken)
        await this.data(this.client.POST('/api/v1/auth/logout', { body: { refreshToken } }));
    } finally {
      this.setTokens(undefined);
    }
  }

  me(): Promise<User> {
    return this.data<User>(this.client.GET('/api/v1/users/me'));
  }

  // Another person's record; Hekim answers only for people one may see (docs/access-model.md).
  user(id: string): Promise<User> {
    return this.data<User>(this.client.GET('/api/v1/users/{id}', { params: { path: { id } } }));
  }

  // A doctor's patients, a patient's doctors (docs/access-model.md, "Listing").
  careRelationships(): Promise<Page<CareRelationship>> {
    return this.data(this.client.GET('/api/v1/care-relationships'));
  }

  rooms(): Promise<Page<Room>> {
    return this.data(this.client.GET('/api/v1/rooms'));
  }

  createRoom(name: string, memberIds: string[]): Promise<unknown> {
    return this.data(
      this.client.POST('/api/v1/rooms', {
        body: { name, type: 'consultation', memberIds, waitingRoom: true },
      }),
    );
  }

  // The invited patient's answer (docs/rooms.md): accepting begins a care relationship with
  // the room's clinicians; declining drops the invitation.
  acceptInvitation(id: string): Promise<Room> {
    return this.data(this.client.POST('/api/v1/rooms/{id}/accept', { params: { path: { id } } }));
  }

  declineInvitation(id: string): Promise<unknown> {
    return this.data(this.client.POST('/api/v1/rooms/{id}/decline', { params: { path: { id } } }));
  }

  iceServers(): Promise<IceServersResponse> {
    return this.data(this.client.GET('/api/v1/ice-servers'));
  }

  consents(): Promise<ConsentsResponse> {
    return this.data(this.client.GET('/api/v1/consents/me'));
  }

  grantConsent(purpose: ConsentPurpose, version: number): Promise<unknown> {
    return this.data(this.client.POST('/api/v1/consents', { body: { purpose, version } }));
  }

  // ---- The clinic's day (docs/appointments.md) ----

  clinicians(): Promise<Page<ClinicianListing>> {
    return this.data(this.client.GET('/api/v1/clinicians', { params: { query: { limit: 200 } } }));
  }

  slots(id: string, from: Date, to: Date): Promise<Page<Slot>> {
    return this.data(
      this.client.GET('/api/v1/clinicians/{id}/slots', {
        params: { path: { id }, query: { from: from.toISOString(), to: to.toISOString() } },
      }),
    );
  }

  // Working hours for the demo's doctor: every day, `start`–`end` in their time zone.
  openHours(timezone: string, start: string, end: string, slotMinutes: number): Promise<unknown> {
    const weekly = [1, 2, 3, 4, 5, 6, 7].map((weekday) => ({ weekday, start, end }));
    return this.data(
      this.client.PUT('/api/v1/clinicians/me/availability', {
        body: { timezone, weekly, slotMinutes, exceptions: [] },
      }),
    );
  }

  appointments(from: Date, to: Date): Promise<Page<Appointment>> {
    return this.data(
      this.client.GET('/api/v1/appointments', {
        params: { query: { from: from.toISOString(), to: to.toISOString() } },
      }),
    );
  }

  book(clinicianId: string, slot: Slot, reason: string): Promise<Appointment> {
    return this.data(
      this.client.POST('/api/v1/appointments', {
        body: { clinicianId, start: slot.start, end: slot.end, ...(reason ? { reason } : {}) },
      }),
    );
  }

  // check-in, no-show, complete, cancel: the appointment's acts.
  appointmentAct(
    id: string,
    act: 'check-in' | 'no-show' | 'complete' | 'cancel',
    body?: object,
  ): Promise<Appointment> {
    const params = { params: { path: { id } } };
    const answer =
      act === 'check-in'
        ? this.client.POST('/api/v1/appointments/{id}/check-in', params)
        : act === 'no-show'
          ? this.client.POST('/api/v1/appointments/{id}/no-show', params)
          : act === 'complete'
            ? this.client.POST('/api/v1/appointments/{id}/complete', {
                ...params,
                body: (body ?? {}) as never,
              })
            : this.client.POST('/api/v1/appointments/{id}/cancel', {
                ...params,
                body: (body ?? {}) as never,
              });
    return this.data(answer);
  }

  // The patient's device check before a consultation (docs/appointments.md, "The queue").
  precheck(id: string, passed: boolean, details: string): Promise<Appointment> {
    return this.data(
      this.client.POST('/api/v1/appointments/{id}/precheck', {
        params: { path: { id } },
        body: { passed, details },
      }),
    );
  }

  queue(): Promise<Page<QueueEntry>> {
    return this.data(this.client.GET('/api/v1/clinicians/me/queue'));
  }

  call(id: string): Promise<Call> {
    return this.data(this.client.GET('/api/v1/calls/{id}', { params: { path: { id } } }));
  }

  // The room's chat history, newest first (docs/chat.md).
  async messages(id: string): Promise<Page<ChatMessage>> {
    return this.data(
      this.client.GET('/api/v1/rooms/{id}/messages', {
        params: { path: { id }, query: { limit: 200 } },
      }),
    );
  }

  async chatReads(id: string): Promise<{ userId: string; messageId: string }[]> {
    const chat = await this.data<{ reads: { userId: string; messageId: string }[] }>(
      this.client.GET('/api/v1/rooms/{id}/chat', { params: { path: { id } } }),
    );
    return chat.reads;
  }

  // Multipart upload of one file (field `file`); the server judges it by its content.
  async uploadAttachment(id: string, file: File): Promise<ChatAttachment> {
    const form = new FormData();
    form.append('file', file, file.name);
    return this.data(
      this.client.POST('/api/v1/rooms/{id}/attachments', {
        params: { path: { id } },
        body: form as never,
        bodySerializer: (body: unknown) => body as FormData,
      }),
    );
  }

  async downloadAttachment(id: string): Promise<Blob> {
    return this.data(
      this.client.GET('/api/v1/attachments/{id}', { params: { path: { id } }, parseAs: 'blob' }),
    );
  }

  // The data of an answer, or the SDK's HekimError with the problem's code.
  private async data<T>(answer: Promise<Answer>): Promise<T> {
    // REST refusals become the SDK's HekimError (the problem document's `code`).
    return unwrap(await answer) as T;
  }

  // An expired access token: refresh once and replay the request with the new one.
  private async fetchRefreshing(request: Request): Promise<Response> {
    const replay = request.clone();
    const res = await fetch(request);
    if (res.status !== 401 || !this.tokens) return res;
    await this.refresh();
    if (this.tokens) replay.headers.set('Authorization', `Bearer ${this.tokens.accessToken}`);
    return fetch(replay);
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
    if (!refreshToken) throw new HekimError({ code: 'UNAUTHORIZED', message: 'Not signed in.' });
    try {
      const pair = await this.data<TokenPair>(
        this.anonymous.POST('/api/v1/auth/refresh', { body: { refreshToken } }),
      );
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
