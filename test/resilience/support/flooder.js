// The attacker of test/resilience/flood.e2e-spec.ts, in a process of its own so that its
// sending does not steal the event loop of the clients whose latency is measured.
// Usage: node flooder.js <signaling url> <token> <events per second> <seconds>
// Prints one JSON line: how the server answered and whether it disconnected the socket.
'use strict';
const { randomUUID } = require('node:crypto');
const { io } = require('socket.io-client');

const [url, token, rateArg, secondsArg] = process.argv.slice(2);
const rate = Number(rateArg);
const seconds = Number(secondsArg);
const counts = { sent: 0, ok: 0, rateLimited: 0, other: 0, unanswered: 0 };

const socket = io(url, { auth: { token }, transports: ['websocket'], reconnection: false });
let disconnectReason = null;
let connectedAt = 0;
let disconnectedAfterMs = null;

function finish() {
  clearInterval(timer);
  socket.close();
  process.stdout.write(
    `${JSON.stringify({ ...counts, disconnectReason, disconnectedAfterMs })}\n`,
    () => process.exit(0),
  );
}

let timer;
socket.on('connect_error', (err) => {
  process.stdout.write(`${JSON.stringify({ error: err.message })}\n`, () => process.exit(1));
});
socket.on('connect', () => {
  connectedAt = Date.now();
  // Bursts every 10 ms add up to `rate` events per second.
  const perTick = Math.max(1, Math.round(rate / 100));
  timer = setInterval(() => {
    if (!socket.connected) return;
    for (let i = 0; i < perTick; i++) {
      counts.sent++;
      socket
        .timeout(5000)
        .emitWithAck('room:leave', { roomId: randomUUID() })
        .then(
          (ack) => {
            if (ack && ack.ok) counts.ok++;
            else if (ack && ack.error && ack.error.code === 'RATE_LIMITED') counts.rateLimited++;
            else counts.other++;
          },
          () => counts.unanswered++,
        );
    }
  }, 10);
  setTimeout(finish, seconds * 1000);
});
socket.on('disconnect', (reason) => {
  disconnectReason = reason;
  disconnectedAfterMs = Date.now() - connectedAt;
  // Let the acks already on their way arrive, then report.
  setTimeout(finish, 500);
});
