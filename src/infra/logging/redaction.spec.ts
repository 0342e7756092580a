import { Writable } from 'node:stream';
import pino from 'pino';
import { pinoBaseOptions, requestIdFrom } from './logger-options';
import { REDACTED, stripQueryValues } from './redaction';

function capture(): { logger: pino.Logger; lines: () => Record<string, unknown>[] } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk.toString());
      cb();
    },
  });
  const logger = pino(pinoBaseOptions({ log: { level: 'info' } }), stream);
  return {
    logger,
    lines: () =>
      chunks
        .join('')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

describe('log redaction', () => {
  it('hides tokens, passwords, SDP and ICE candidates at any depth', () => {
    const { logger, lines } = capture();
    logger.info(
      {
        password: 'hunter2-hunter2',
        body: { refreshToken: 'rt-secret', user: { password: 'p@ss' } },
        payload: {
          sdp: 'v=0 o=- 4611 2 IN IP4 127.0.0.1',
          candidate: 'candidate:1 1 udp 2122 10.0.0.7 5000 typ host',
        },
        req: { headers: { authorization: 'Bearer eyJhbGciOi.secret', cookie: 'sid=abc' } },
        displayName: 'Dr. Ayşe',
      },
      'event',
    );
    const text = JSON.stringify(lines());
    for (const secret of [
      'hunter2',
      'rt-secret',
      'p@ss',
      'v=0',
      'typ host',
      'eyJhbGciOi',
      'sid=abc',
    ]) {
      expect(text).not.toContain(secret);
    }
    expect(lines()[0]).toMatchObject({
      password: REDACTED,
      body: { refreshToken: REDACTED, user: { password: REDACTED } },
    });
    expect(text).toContain('Dr. Ayşe');
  });

  it('keeps only the keys of query strings', () => {
    expect(stripQueryValues('/api/v1/x?token=abc&limit=5')).toBe(
      `/api/v1/x?token=${REDACTED}&limit=${REDACTED}`,
    );
    expect(stripQueryValues('/health/live')).toBe('/health/live');
  });

  it('accepts safe request ids and replaces the rest', () => {
    expect(requestIdFrom('abc-123:x.y_z')).toBe('abc-123:x.y_z');
    expect(requestIdFrom(['first', 'second'])).toBe('first');
    expect(requestIdFrom('evil\nline')).toMatch(/^[0-9a-f-]{36}$/);
    expect(requestIdFrom('x'.repeat(200))).toMatch(/^[0-9a-f-]{36}$/);
    expect(requestIdFrom(undefined)).toMatch(/^[0-9a-f-]{36}$/);
  });
});
