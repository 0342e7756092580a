import type { Duplex } from 'node:stream';
import { toProblem } from '../errors/problem-details.filter';
import { AppException } from '../errors/app.exception';
import { ErrorCode } from '../errors/error-code';

// Requests Node's HTTP parser refuses before Express sees them (a URL or headers over the
// 16 KiB header limit, bytes that are not HTTP) would get Node's bare `431`/`400` with no body.
// They get a problem+json like every other rejection, and the connection is closed.
export function answerClientError(err: Error & { code?: string }, socket: Duplex): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const error =
    err.code === 'HPE_HEADER_OVERFLOW'
      ? new AppException(ErrorCode.PayloadTooLarge, 'The request line or headers are too large.', {
          status: 431,
        })
      : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? new AppException(ErrorCode.ValidationFailed, 'The request did not arrive in time.', {
            status: 408,
          })
        : new AppException(ErrorCode.ValidationFailed, 'The request could not be parsed.');
  const { problem } = toProblem(error, undefined);
  const body = JSON.stringify(problem);
  socket.end(
    `HTTP/1.1 ${problem.status} ${problem.title}\r\n` +
      'Content-Type: application/problem+json\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      'Connection: close\r\n\r\n' +
      body,
  );
}
