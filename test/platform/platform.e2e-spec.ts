import { createTestApp, type TestApp } from '../support/test-app';

describe('platform: health, docs, metrics, errors', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ env: { BODY_LIMIT_BYTES: '2048' } });
  });
  afterAll(() => t.close());

  it('answers liveness and readiness with PostgreSQL and Redis checked', async () => {
    await t.http().get('/health/live').expect(200, { status: 'ok' });
    const ready = await t.http().get('/health/ready').expect(200);
    expect(ready.body.details).toMatchObject({
      database: { status: 'up' },
      redis: { status: 'up', mode: 'redis' },
      lifecycle: { status: 'up' },
    });
  });

  it('publishes an OpenAPI document with the ops endpoints, the version and a bearer scheme', async () => {
    const res = await t.http().get('/docs-json').expect(200);
    expect(Object.keys(res.body.paths)).toEqual(
      expect.arrayContaining(['/health/live', '/health/ready']),
    );
    expect(res.body.info.version).toBe(t.config.version);
    expect(res.body.components.securitySchemes.bearer).toMatchObject({
      type: 'http',
      scheme: 'bearer',
    });
    await t.http().get('/docs').expect(200).expect('content-type', /html/);
  });

  it('exposes Prometheus metrics with the request histogram labelled by route template', async () => {
    await t.http().get('/health/live').expect(200);
    const res = await t.http().get('/metrics').expect(200);
    expect(res.text).toContain('process_cpu_seconds_total');
    expect(res.text).toMatch(
      /http_request_duration_seconds_count\{method="GET",route="\/health\/live",status="200"\} \d+/,
    );
  });

  it('answers unknown routes with problem+json carrying the request id it echoes', async () => {
    const res = await t
      .http()
      .get('/api/v1/no-such-thing')
      .set('X-Request-Id', 'trace-abc.123')
      .expect(404);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.headers['x-request-id']).toBe('trace-abc.123');
    expect(res.body).toEqual({
      type: 'urn:hekim:problem:not-found',
      title: 'Not found',
      status: 404,
      detail: expect.any(String),
      code: 'NOT_FOUND',
      requestId: 'trace-abc.123',
    });
  });

  it('replaces a request id that is not a safe token', async () => {
    const res = await t
      .http()
      .get('/health/live')
      .set('X-Request-Id', 'has spaces and {braces}')
      .expect(200);
    expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('refuses an oversize body with PAYLOAD_TOO_LARGE and malformed JSON with VALIDATION_FAILED', async () => {
    const big = await t
      .http()
      .post('/api/v1/anything')
      .set('Content-Type', 'application/json')
      .send(JSON.stringify({ blob: 'x'.repeat(4096) }))
      .expect(413);
    expect(big.body.code).toBe('PAYLOAD_TOO_LARGE');
    const bad = await t
      .http()
      .post('/api/v1/anything')
      .set('Content-Type', 'application/json')
      .send('{"a":')
      .expect(400);
    expect(bad.body.code).toBe('VALIDATION_FAILED');
    expect(JSON.stringify(bad.body)).not.toMatch(/at .*\.js|SyntaxError/);
  });

  it('sets security headers and answers CORS only for allowed origins', async () => {
    const res = await t
      .http()
      .get('/health/live')
      .set('Origin', 'https://evil.example')
      .expect(200);
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['content-security-policy']).toContain("default-src 'self'");
    expect(res.headers['x-powered-by']).toBeUndefined();
  });
});

describe('platform: CORS allow-list and protected metrics', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({
      env: { CORS_ORIGINS: 'https://app.example.org', METRICS_TOKEN: 'metrics-token-0123456789' },
    });
  });
  afterAll(() => t.close());

  it('reflects a listed origin', async () => {
    const res = await t
      .http()
      .get('/health/live')
      .set('Origin', 'https://app.example.org')
      .expect(200);
    expect(res.headers['access-control-allow-origin']).toBe('https://app.example.org');
  });

  it('requires the metrics token when one is configured', async () => {
    const denied = await t.http().get('/metrics').expect(401);
    expect(denied.body.code).toBe('UNAUTHORIZED');
    await t
      .http()
      .get('/metrics')
      .set('Authorization', 'Bearer metrics-token-0123456789')
      .expect(200);
  });
});
