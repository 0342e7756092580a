// The REST client: openapi-fetch over the types generated from Hekim's OpenAPI document
// (openapi.ts, `npm run sdk:generate`). Paths, parameters, bodies and answers are checked by
// the compiler: `api.GET('/api/v1/rooms/{id}', { params: { path: { id } } })`.
import createClient, { type Client } from 'openapi-fetch';
import { HekimError } from '../errors.js';
import type { components, paths } from './openapi.js';

export type { components, operations, paths } from './openapi.js';
export type ApiClient = Client<paths>;
export type Problem = components['schemas']['ProblemResponse'];

export interface ApiClientOptions {
  // Hekim's base URL, e.g. `https://hekim.example` (paths carry `/api/v1`).
  baseUrl: string;
  // The current access token (or guest grant), asked for every request; none: anonymous.
  token?: () => string | undefined | Promise<string | undefined>;
  // The fetch to use (a test double, or one with certificates pinned); default: global fetch.
  fetch?: (request: Request) => Promise<Response>;
}

export function createApiClient(options: ApiClientOptions): ApiClient {
  const client = createClient<paths>({
    baseUrl: options.baseUrl.replace(/\/$/, ''),
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  const token = options.token;
  if (token) {
    client.use({
      async onRequest({ request }) {
        const value = await token();
        if (value) request.headers.set('Authorization', `Bearer ${value}`);
        return request;
      },
    });
  }
  return client;
}

// The data of a successful answer, or a HekimError with the problem document's `code`:
// `const room = unwrap(await api.GET('/api/v1/rooms/{id}', …))`.
export function unwrap<T>(result: { data?: T; error?: unknown; response: Response }): T {
  if (result.error === undefined && result.response.ok) return result.data as T;
  const problem = (result.error ?? {}) as Partial<Problem>;
  const retryAfter = Number(result.response.headers.get('retry-after'));
  throw new HekimError({
    code: (problem.code as HekimError['code'] | undefined) ?? 'INTERNAL',
    message: problem.detail ?? problem.title ?? `HTTP ${result.response.status}`,
    ...(Number.isFinite(retryAfter) && retryAfter > 0 ? { retryAfter } : {}),
  });
}
