// Second half of `npm run build:demo`: puts the page's static files next to its compiled
// scripts, with the Socket.IO browser client the page loads. socket.io ships that client;
// the gateway does not serve it (serveClient is off), so the demo serves its own copy from
// the same allow-list as its other files: same origin, nothing fetched from elsewhere.
import { cpSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const out = 'dist/demo';
const require = createRequire(import.meta.url);
const client = join(dirname(require.resolve('socket.io/package.json')), 'client-dist');

cpSync('demo/public', out, { recursive: true });
for (const file of ['socket.io.min.js', 'socket.io.min.js.map']) {
  cpSync(join(client, file), join(out, 'vendor', file));
}
