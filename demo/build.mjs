// `npm run build:demo`: the consultation app that Hekim serves at /demo, built offline from
// npm packages only. esbuild bundles demo/src/main.ts with the SDK it is built on
// (@hekim/client, from packages/client/src through its public entry, with socket.io-client
// and openapi-fetch) and i18next into one ES module, dist/demo/main.js; the static files are
// copied beside it. Same origin, nothing fetched from elsewhere. Prints the gzipped sizes
// (docs/demo.md).
import { cpSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const out = 'dist/demo';

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
// The SDK alone as a browser module, importable without the app: the perfect negotiation
// test (test/browser/peer-negotiation.e2e-spec.ts) drives its Peer directly in the page, with
// no UI around it. Not loaded by the app.
await build({
  entryPoints: { sdk: 'packages/client/src/index.ts' },
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

const gz = (file) => gzipSync(readFileSync(join(out, file)), { level: 9 }).length;
const files = ['main.js', 'demo.css', 'index.html'];
const sizes = files.map((file) => [file, gz(file)]);
const total = sizes.reduce((sum, [, size]) => sum + size, 0);
if (process.env.DEMO_BUILD_QUIET !== '1') {
  const kib = (n) => `${(n / 1024).toFixed(1)} KiB`;
  console.log(
    `demo bundle (gzip -9): ${sizes.map(([f, s]) => `${f} ${kib(s)}`).join(', ')}; total ${kib(total)}`,
  );
}
