import { PassThrough } from 'node:stream';
import { answerClientError } from './client-error';

function answer(code: string | undefined): { text: string; ended: boolean } {
  const socket = new PassThrough();
  let text = '';
  socket.on('data', (c: Buffer) => (text += c.toString()));
  answerClientError(Object.assign(new Error('parse'), { code }), socket);
  return { text, ended: socket.writableEnded };
}

describe('answerClientError', () => {
  it('answers an oversize request line with a 431 problem+json and closes', () => {
    const { text, ended } = answer('HPE_HEADER_OVERFLOW');
    expect(text).toMatch(/^HTTP\/1\.1 431 /);
    expect(text).toContain('Content-Type: application/problem+json');
    expect(text).toContain('Connection: close');
    const body = JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4)) as Record<string, unknown>;
    expect(body).toMatchObject({ status: 431, code: 'PAYLOAD_TOO_LARGE' });
    expect(ended).toBe(true);
  });

  it('answers other parse errors with 400 and timeouts with 408', () => {
    expect(answer('HPE_INVALID_METHOD').text).toMatch(/^HTTP\/1\.1 400 [^]*"VALIDATION_FAILED"/);
    expect(answer('ERR_HTTP_REQUEST_TIMEOUT').text).toMatch(/^HTTP\/1\.1 408 /);
  });

  it('only destroys a socket that can no longer be written', () => {
    const socket = new PassThrough();
    socket.end();
    answerClientError(new Error('gone'), socket);
    expect(socket.destroyed).toBe(true);
  });
});
