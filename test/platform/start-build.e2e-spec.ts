import { spawn } from 'node:child_process';
import {
  appendFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const SCRIPT = join(__dirname, '..', '..', 'scripts', 'build-if-stale.mjs');

// `npm start` builds only when a source the build reads changed since the last successful
// build (README, "Quick start"). Driven on a small project whose build counts its runs.
describe('npm start: build only when the sources changed', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hekim-build-'));
  const builds = () => readFileSync(join(dir, 'builds.log'), 'utf8').length;

  beforeAll(() => {
    const build =
      "node -e \"const fs=require('fs');fs.appendFileSync('builds.log','x');" +
      "fs.mkdirSync('dist/src',{recursive:true});fs.writeFileSync('dist/src/main.js','')\"" +
      ` && node ${JSON.stringify(SCRIPT)} --stamp`;
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'x', scripts: { build } }));
    writeFileSync(join(dir, 'builds.log'), '');
    mkdirSync(join(dir, 'src'));
    writeFileSync(join(dir, 'src', 'main.ts'), 'export const a = 1;\n');
    writeFileSync(join(dir, 'src', 'main.spec.ts'), 'it("x", () => undefined);\n');
    writeFileSync(join(dir, 'tsconfig.json'), '{}\n');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const start = (): Promise<{ code: number | null; output: string }> => {
    const proc = spawn(process.execPath, [SCRIPT], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    proc.stdout.on('data', (c: Buffer) => (output += c.toString()));
    proc.stderr.on('data', (c: Buffer) => (output += c.toString()));
    return new Promise((resolve) => proc.once('exit', (code) => resolve({ code, output })));
  };

  it('builds a checkout never built, then not again until a source changes', async () => {
    expect((await start()).output).toContain('no complete build yet');
    expect(builds()).toBe(1);

    expect(await start()).toEqual({
      code: 0,
      output: 'build is up to date (no source changed since the last build)\n',
    });
    // A new timestamp on the same content, or an edited spec, changes nothing that is built.
    utimesSync(join(dir, 'src', 'main.ts'), new Date(), new Date(Date.now() + 60_000));
    appendFileSync(join(dir, 'src', 'main.spec.ts'), '// more\n');
    await start();
    expect(builds()).toBe(1);

    appendFileSync(join(dir, 'src', 'main.ts'), 'export const b = 2;\n');
    expect((await start()).output).toContain('sources changed since the last build');
    expect(builds()).toBe(2);
    appendFileSync(join(dir, 'tsconfig.json'), '\n');
    await start();
    expect(builds()).toBe(3);

    // A missing or half-deleted dist/ is rebuilt whatever the stamp says.
    rmSync(join(dir, 'dist', 'src'), { recursive: true });
    expect((await start()).output).toContain('no complete build yet');
    expect(builds()).toBe(4);
    expect((await start()).code).toBe(0);
    expect(builds()).toBe(4);
  });

  it('fails the start when the build fails, and builds again at the next start', async () => {
    const pkg = readFileSync(join(dir, 'package.json'), 'utf8');
    appendFileSync(join(dir, 'src', 'main.ts'), 'export const c = 3;\n');
    writeFileSync(
      join(dir, 'package.json'),
      JSON.stringify({ name: 'x', scripts: { build: 'exit 3' } }),
    );
    expect((await start()).code).toBe(3);
    writeFileSync(join(dir, 'package.json'), pkg);
    expect((await start()).output).toContain('sources changed since the last build');
    expect(builds()).toBe(5);
  });
});
