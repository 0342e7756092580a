import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';

export const ROOT = join(__dirname, '..', '..');
export const CHART_DIR = join(ROOT, 'helm', 'hekim');
const RENDERER_DIR = join(__dirname, 'helm-render');
// Debian's golang-* -dev packages install their sources here (GOPATH mode, no module proxy).
const GOPATH = '/usr/share/gocode';

export interface Manifest {
  source: string;
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [key: string]: unknown;
}

// Compiles test/support/helm-render (Go text/template + sprig + sigs.k8s.io/yaml, as Helm's
// engine) once per source version and Go toolchain, into a cache next to node_modules.
export function helmRenderer(): string {
  const source = readFileSync(join(RENDERER_DIR, 'main.go'));
  const goVersion = execFileSync('go', ['version'], { encoding: 'utf8' }).trim();
  const key = createHash('sha256').update(source).update(goVersion).digest('hex').slice(0, 16);
  const cacheDir = join(ROOT, 'node_modules', '.cache', 'hekim-helm-render');
  const binary = join(cacheDir, `helm-render-${key}`);
  if (existsSync(binary)) return binary;
  mkdirSync(cacheDir, { recursive: true });
  const partial = `${binary}.${process.pid}.tmp`;
  execFileSync('go', ['build', '-o', partial, '.'], {
    cwd: RENDERER_DIR,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      GO111MODULE: 'off',
      GOPATH,
      GOCACHE: join(cacheDir, 'go-build'),
      GOFLAGS: '',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // Atomic: parallel test files may build at the same time.
  renameSync(partial, binary);
  return binary;
}

export interface RenderOptions {
  release?: string;
  namespace?: string;
}

function run(args: string[]): string {
  try {
    return execFileSync(helmRenderer(), args, {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      maxBuffer: 32 * 1024 * 1024,
    });
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? '';
    throw new Error(`helm-render failed: ${stderr.trim() || String(error)}`, { cause: error });
  }
}

// `helm template <release> helm/hekim -n <namespace> -f <file>...`
export function renderChart(valuesFiles: string[] = [], options: RenderOptions = {}): Manifest[] {
  const out = run([
    CHART_DIR,
    options.release ?? 'hekim',
    options.namespace ?? 'hekim',
    ...valuesFiles,
  ]);
  const manifests: Manifest[] = [];
  // The renderer prefixes each template's output with `---\n# Source: <file>`, as helm does.
  const parts = out.split(/^---\n# Source: (\S+)\n/m);
  for (let i = 1; i < parts.length; i += 2) {
    for (const doc of parseAllDocuments(parts[i + 1], { uniqueKeys: true })) {
      if (doc.errors.length > 0)
        throw new Error(`${parts[i]} renders invalid YAML: ${doc.errors[0].message}`);
      const value = doc.toJS() as Manifest | null;
      if (value) manifests.push({ ...value, source: parts[i] });
    }
  }
  return manifests;
}

// The values Helm would validate against values.schema.json for these files.
export function coalescedValues(valuesFiles: string[] = []): Record<string, unknown> {
  return JSON.parse(run(['--values', CHART_DIR, 'hekim', 'hekim', ...valuesFiles])) as Record<
    string,
    unknown
  >;
}
