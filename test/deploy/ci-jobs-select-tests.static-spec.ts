import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { ROOT } from '../support/helm';

type Job = { script?: unknown };

// A GitLab job whose Jest command selects nothing either fails ("No tests found") or, with
// --passWithNoTests, passes while testing nothing. For each job that runs Jest this asks Jest
// itself which files the job's exact command selects (`--listTests`), and checks that the jobs
// together leave no test file of `npm test` unrun. Static: no database, no app.
describe('deploy: every .gitlab-ci.yml job that runs tests selects some', () => {
  const ci = parse(readFileSync(join(ROOT, '.gitlab-ci.yml'), 'utf8'), { merge: true }) as Record<
    string,
    unknown
  >;
  const scripts = (
    JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    }
  ).scripts;

  // The jest arguments of one script line: `npx jest ARGS`, `jest ARGS`, or
  // `npm run NAME -- ARGS` where NAME's package.json script (after any `npm run build &&`)
  // is a jest command.
  const jestArgsOf = (line: string): string[] | undefined => {
    const words = splitWords(line);
    if (words[0] === 'npx' && words[1] === 'jest') return words.slice(2);
    if (words[0] === 'jest') return words.slice(1);
    if (words[0] === 'npm' && words[1] === 'run' && words[2] in scripts) {
      const extra = words[3] === '--' ? words.slice(4) : [];
      const command = scripts[words[2]].split('&&').map((part) => part.trim());
      const jest = command.find((part) => part.startsWith('jest'));
      return jest === undefined ? undefined : [...splitWords(jest).slice(1), ...extra];
    }
    return undefined;
  };

  const jestCommands = Object.entries(ci)
    .filter(([name, v]) => !name.startsWith('.') && typeof v === 'object' && v !== null)
    .flatMap(([name, job]) =>
      [(job as Job).script]
        .flat(2)
        .filter((line): line is string => typeof line === 'string')
        .map((line) => ({ name, line, args: jestArgsOf(line) }))
        .filter((c): c is { name: string; line: string; args: string[] } => c.args !== undefined),
    );

  const listTests = async (args: string[]): Promise<string[]> => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [join(ROOT, 'node_modules', 'jest', 'bin', 'jest.js'), '--listTests', '--json', ...args],
      { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 },
    );
    return (JSON.parse(stdout) as string[]).map((f) => f.slice(ROOT.length + 1)).sort();
  };

  it('finds the Jest commands of the unit, e2e and browser jobs', () => {
    expect(new Set(jestCommands.map((c) => c.name))).toEqual(
      new Set(['unit', 'e2e', 'browser-e2e']),
    );
  });

  it('selects at least one test in every job, and every test file in some job', async () => {
    const selected = new Set<string>();
    for (const { name, line, args } of jestCommands) {
      const files = await listTests(args);
      expect({ job: name, line, selects: files.length > 0 }).toEqual({
        job: name,
        line,
        selects: true,
      });
      for (const f of files) selected.add(f);
    }
    expect(selected).toContainEqual(expect.stringMatching(/^test\/browser\/.+\.e2e-spec\.ts$/));
    const all = await listTests([]);
    expect(all.filter((f) => !selected.has(f))).toEqual([]);
  });
});

// Whitespace-separated words, with '…' and "…" quoting (all .gitlab-ci.yml's lines need).
function splitWords(line: string): string[] {
  return [...line.matchAll(/'([^']*)'|"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3]);
}
