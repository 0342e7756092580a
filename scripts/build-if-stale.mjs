// `npm start` runs this first (`prestart`): it builds only when the sources the build reads
// have changed since the last successful build, so that a start on a built, unchanged
// checkout takes seconds (README, "Quick start"). No watcher: the sources are fingerprinted
// (SHA-256 over the path and content of every file the build reads) and compared with the
// fingerprint `npm run build` stamps into dist/ when it succeeds.
//
//   node scripts/build-if-stale.mjs           build if stale (prestart)
//   node scripts/build-if-stale.mjs --stamp   record the sources as built (end of `npm run build`)
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';

const root = process.cwd();
// What `npm run build` compiles or copies (tsconfig.build.json, demo/build.mjs
// with demo/tsconfig.json, and the SDK's sources that the demo bundles), and what decides how.
// Specs are excluded from the build, so editing one needs no rebuild.
const DIRECTORIES = ['src', 'migrations', 'scripts', 'demo', 'packages/client/src'];
const FILES = [
  'package.json',
  'package-lock.json',
  'nest-cli.json',
  'tsconfig.json',
  'tsconfig.build.json',
];
const STAMP = join(root, 'dist', '.build-fingerprint');
const ENTRY = join(root, 'dist', 'src', 'main.js');

function* filesUnder(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* filesUnder(path);
    else if (entry.isFile() && !entry.name.endsWith('.spec.ts')) yield path;
  }
}

function fingerprint() {
  const files = FILES.map((f) => join(root, f)).filter((f) => existsSync(f));
  for (const dir of DIRECTORIES) {
    if (existsSync(join(root, dir))) files.push(...filesUnder(join(root, dir)));
  }
  const hash = createHash('sha256');
  for (const name of files.map((f) => relative(root, f).split(sep).join('/')).sort()) {
    const content = readFileSync(join(root, name));
    hash.update(`${name}\0${content.length}\0`);
    hash.update(content);
  }
  return hash.digest('hex');
}

function stamped() {
  try {
    return readFileSync(STAMP, 'utf8').trim();
  } catch {
    return undefined;
  }
}

if (process.argv.includes('--stamp')) {
  // The fingerprint taken before the build started, when there is one: a file edited while
  // the build ran is then still seen as changed at the next start.
  writeFileSync(STAMP, `${process.env.HEKIM_BUILD_FINGERPRINT ?? fingerprint()}\n`);
  process.exit(0);
}

const current = fingerprint();
const last = stamped();
if (last === current && existsSync(ENTRY)) {
  process.stdout.write('build is up to date (no source changed since the last build)\n');
  process.exit(0);
}
process.stdout.write(
  last === undefined || !existsSync(ENTRY)
    ? 'no complete build yet: building (npm run build)\n'
    : 'sources changed since the last build: rebuilding (npm run build)\n',
);
// Under npm, npm_execpath is npm's own script; run it with this Node.
const npm = process.env.npm_execpath;
const build = spawnSync(npm ? process.execPath : 'npm', [...(npm ? [npm] : []), 'run', 'build'], {
  stdio: 'inherit',
  env: { ...process.env, HEKIM_BUILD_FINGERPRINT: current },
});
process.exit(build.status ?? 1);
