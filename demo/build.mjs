// `npm run build:demo`: the consultation app that Hekim serves at /demo, built offline from
// npm packages only. esbuild bundles demo/src/main.ts (with i18next) into one ES module,
// dist/demo/main.js (and peer.js, peers.js on their own); the static files and the Socket.IO browser client (which the socket.io
// package ships; the gateway does not serve it, serveClient is off) are copied beside it.
// Same origin, nothing fetched from elsewhere. Prints the gzipped sizes (docs/demo.md).
import { cpSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const out = 'dist/demo';
const require = createRequire(import.meta.url);
const client = join(dirname(require.resolve('socket.io/package.json')), 'client-dist');

rmSync(out, { recursive: true, force: true });
await build({
  entryPoints: ['demo/src/main.ts'],
  outfile: join(out, 'main.js'),
  bundle: true,
  format: 'esm',
  target: 'es2022',
  platform: 'browser',
  minify: true,
  sourcemap: true,
  legalComments: 'eof',
  charset: 'utf8',
  tsconfig: 'demo/tsconfig.json',
  logLevel: 'warning',
});
// The WebRTC logic as modules of their own, importable without the app: the perfect
// negotiation test (test/browser/peer-negotiation.e2e-spec.ts) drives Peer and PeerGroup
// directly in the page, with no UI around them.
await build({
  entryPoints: ['demo/src/peer.ts', 'demo/src/peers.ts'],
  outdir: out,
  bundle: true,
  format: 'esm',
  target: 'es2022',
  platform: 'browser',
  sourcemap: true,
  charset: 'utf8',
  tsconfig: 'demo/tsconfig.json',
  logLevel: 'warning',
});
cpSync('demo/public', out, { recursive: true });
for (const file of ['socket.io.min.js', 'socket.io.min.js.map']) {
  cpSync(join(client, file), join(out, 'vendor', file));
}

const gz = (file) => gzipSync(readFileSync(join(out, file)), { level: 9 }).length;
const files = ['main.js', 'vendor/socket.io.min.js', 'demo.css', 'index.html'];
const sizes = files.map((file) => [file, gz(file)]);
const total = sizes.reduce((sum, [, size]) => sum + size, 0);
if (process.env.DEMO_BUILD_QUIET !== '1') {
  const kib = (n) => `${(n / 1024).toFixed(1)} KiB`;
  console.log(
    `demo bundle (gzip -9): ${sizes.map(([f, s]) => `${f} ${kib(s)}`).join(', ')}; total ${kib(total)}`,
  );
}
