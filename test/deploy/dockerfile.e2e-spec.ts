import { readdirSync, readFileSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { join } from 'node:path';
import { validate } from 'dockerfile-utils';
import { buildContextFiles } from '../support/docker-build';
import { ROOT } from '../support/helm';

// No Docker engine runs here. dockerfile-utils (the validator behind the Dockerfile language
// server) checks the syntax and semantics BuildKit enforces; the rules below are the policy
// the image must keep (hadolint-style), so a change that breaks one fails the suite.
const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
const lines = dockerfile
  .replace(/\\\n\s*/g, ' ')
  .split('\n')
  .filter((l) => l.trim() && !l.trim().startsWith('#'));

describe('deploy: Dockerfile', () => {
  it('lints clean (no error or warning)', () => {
    const problems = validate(dockerfile).map(
      (d) => `line ${d.range.start.line + 1}: ${JSON.stringify(d.message)}`,
    );
    expect(problems).toEqual([]);
  });

  it('has deps, build and runtime stages from one Node LTS slim base, the CI image too', () => {
    // An even major (an LTS line) on Debian 13 "trixie"; pinned by digest where a registry
    // is reachable (the CI image job refuses to build until it is, see docs/deployment.md).
    const arg = lines.find((l) => l.startsWith('ARG NODE_IMAGE='));
    const [, major] =
      /^ARG NODE_IMAGE=node:(\d*[02468])-trixie-slim(?:@sha256:[0-9a-f]{64})?$/.exec(arg ?? '') ??
      [];
    expect(Number(major)).toBeGreaterThanOrEqual(26);
    const ci = readFileSync(join(ROOT, '.gitlab-ci.yml'), 'utf8');
    expect(ci).toContain(`image: node:${major}-trixie-slim`);
    const froms = lines.filter((l) => l.startsWith('FROM '));
    expect(froms).toEqual([
      'FROM ${NODE_IMAGE} AS deps',
      'FROM ${NODE_IMAGE} AS build',
      'FROM ${NODE_IMAGE} AS runtime',
    ]);
  });

  it('ships production dependencies only and runs as a non-root user under tini', () => {
    expect(lines).toContainEqual(expect.stringMatching(/npm ci --omit=dev/));
    const runtime = lines.slice(lines.indexOf('FROM ${NODE_IMAGE} AS runtime'));
    expect(runtime).toContain('USER 1000:1000');
    expect(runtime).toContain('ENTRYPOINT ["/usr/bin/tini", "--"]');
    // The command test/deploy/production-boot.e2e-spec.ts starts.
    expect(runtime).toContain('CMD ["node", "dist/src/main.js"]');
    expect(runtime.some((l) => l.startsWith('HEALTHCHECK ') && l.includes('/health/live'))).toBe(
      true,
    );
    expect(runtime.filter((l) => /^COPY --from=build /.test(l))).toEqual([
      'COPY --from=build /app/dist ./dist',
    ]);
  });

  it('runs on production dependencies alone: compiled code requires no devDependency', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
    };
    const files = readdirSync(join(ROOT, 'dist'), { recursive: true, encoding: 'utf8' }).filter(
      (f) => f.endsWith('.js'),
    );
    expect(files).toContain(join('src', 'main.js'));
    expect(files).toContain(join('src', 'migrate.js'));
    const packages = new Set<string>();
    for (const file of files) {
      const code = readFileSync(join(ROOT, 'dist', file), 'utf8');
      for (const [, spec] of code.matchAll(/require\("([^"./][^"]*)"\)/g)) {
        if (isBuiltin(spec)) continue;
        const parts = spec.split('/');
        packages.add(spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]);
      }
    }
    expect(packages.size).toBeGreaterThan(10);
    expect([...packages].filter((p) => !(p in pkg.dependencies))).toEqual([]);
  });

  it('sends every file the build copies, and nothing local or secret (.dockerignore)', () => {
    const ignore = readFileSync(join(ROOT, '.dockerignore'), 'utf8').split('\n');
    expect(ignore).toContain('*'); // an allow-list
    const context = buildContextFiles(ROOT);
    const copied = lines
      .filter((l) => l.startsWith('COPY ') && !l.startsWith('COPY --from'))
      .flatMap((l) => l.split(' ').slice(1, -1));
    expect(copied).toEqual(expect.arrayContaining(['scripts', 'demo', 'src', 'migrations']));
    for (const source of copied) {
      expect({
        source,
        sent: context.some((f) => f === source || f.startsWith(`${source}/`)),
      }).toEqual({ source, sent: true });
    }
    expect(
      context.filter((f) => /^(\.env|\.data|\.git|dist|node_modules|test|coverage)(\/|$)/.test(f)),
    ).toEqual([]);
    expect(context.filter((f) => f.endsWith('.spec.ts'))).toEqual([]);
  });
});
