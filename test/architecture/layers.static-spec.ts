import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';

const ROOT = join(__dirname, '..', '..');
const CONFIG = join(ROOT, '.dependency-cruiser.cjs');
const DEPCRUISE = join(ROOT, 'node_modules', '.bin', 'depcruise');

interface Violation {
  rule: { name: string };
  from: string;
  to: string;
}

// Runs the layering check of `npm run lint` (docs/architecture.md, "Layers") on `src` of the
// given tree: once as lint runs it (its exit code is what fails lint), once for the details.
async function cruise(cwd: string): Promise<{ exitCode: number; violations: Violation[] }> {
  const run = async (extra: string[]): Promise<{ code: number; stdout: string }> => {
    try {
      const { stdout } = await promisify(execFile)(
        DEPCRUISE,
        ['src', '--config', CONFIG, ...extra],
        { cwd, maxBuffer: 64 * 1024 * 1024 },
      );
      return { code: 0, stdout };
    } catch (error: unknown) {
      const failed = error as { code?: unknown; stdout?: string };
      if (typeof failed.code !== 'number' || failed.stdout === undefined) throw error;
      return { code: failed.code, stdout: failed.stdout };
    }
  };
  const [lint, json] = await Promise.all([run([]), run(['--output-type', 'json'])]);
  return { exitCode: lint.code, violations: parse(json.stdout) };
}

function parse(stdout: string): Violation[] {
  return (JSON.parse(stdout) as { summary: { violations: Violation[] } }).summary.violations;
}

// A throw-away tree shaped like src/, with the given files.
function tree(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'hekim-layers-'));
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({ compilerOptions: { module: 'commonjs', strict: true } }),
  );
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

describe('architecture: the layers are defended by npm run lint', () => {
  const made: string[] = [];
  afterAll(() => made.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

  it('passes the real tree', async () => {
    const { exitCode, violations } = await cruise(ROOT);
    expect(violations).toEqual([]);
    expect(exitCode).toBe(0);
  }, 120_000);

  it('gives every module of src/modules a tier', () => {
    const modules = readdirSync(join(ROOT, 'src', 'modules'), { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => d.name);
    const config = createRequire(__filename)(CONFIG) as { forbidden: { name: string }[] };
    const rules = new Set(config.forbidden.map((r) => r.name));
    expect(modules.filter((m) => !rules.has(`no-upward-from-${m}`))).toEqual([]);
  });

  it('refuses deliberate violations of each rule', async () => {
    const dir = tree({
      'src/modules/users/users.service.ts': `export const users = 1;\n`,
      'src/modules/users/users.repository.ts': `export const usersRepo = 1;\n`,
      'src/modules/rooms/rooms.service.ts': `export const rooms = 1;\n`,
      'src/modules/rooms/rooms.repository.ts': `export const roomsRepo = 1;\n`,
      // users sits below rooms: importing it is an upward import.
      'src/modules/users/upward.ts': `import { rooms } from '../rooms/rooms.service';\nexport const x = rooms;\n`,
      // Downward, but into another module's repository instead of its service.
      'src/modules/calls/reads-rooms-table.ts': `import { roomsRepo } from '../rooms/rooms.repository';\nexport const y = roomsRepo;\n`,
      // The foundation never imports a feature.
      'src/common/helper.ts': `import { users } from '../modules/users/users.service';\nexport const z = users;\n`,
      // A module nobody placed in a tier.
      'src/modules/nowhere/nowhere.service.ts': `import { users } from '../users/users.service';\nexport const w = users;\n`,
      // A cycle inside one module.
      'src/modules/care/a.ts': `import { b } from './b';\nexport const a = (): number => b() + 1;\n`,
      'src/modules/care/b.ts': `import { a } from './a';\nexport const b = (): number => a() - 1;\n`,
      // A file of the known debt may read the users repository, and nothing more.
      'src/modules/care/care.service.ts': `import { usersRepo } from '../users/users.repository';\nimport { roomsRepo } from '../rooms/rooms.repository';\nexport const u = usersRepo + roomsRepo;\n`,
      // Allowed: a higher module using a lower one's service.
      'src/modules/rooms/uses-users.ts': `import { users } from '../users/users.service';\nexport const v = users;\n`,
    });
    made.push(dir);
    const { exitCode, violations } = await cruise(dir);
    expect(exitCode).not.toBe(0);
    const found = violations.map((v) => `${v.rule.name}: ${v.from} -> ${v.to}`).sort();
    expect(found).toEqual(
      [
        'no-upward-from-users: src/modules/users/upward.ts -> src/modules/rooms/rooms.service.ts',
        'repositories-stay-home: src/modules/calls/reads-rooms-table.ts -> src/modules/rooms/rooms.repository.ts',
        'repositories-stay-home: src/modules/care/care.service.ts -> src/modules/rooms/rooms.repository.ts',
        'foundation-never-imports-features: src/common/helper.ts -> src/modules/users/users.service.ts',
        'unknown-module-importer: src/modules/nowhere/nowhere.service.ts -> src/modules/users/users.service.ts',
        // A cycle is reported once, at the edge that closes it.
        'no-circular: src/modules/care/a.ts -> src/modules/care/b.ts',
      ].sort(),
    );
  }, 120_000);
});
