import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { ROOT } from '../support/helm';

type Job = { stage?: string; script?: unknown; services?: unknown[]; rules?: unknown[] };

// The pipeline parses, has the stages the release process needs, and every `npm run <x>`
// it calls exists in package.json (a renamed script must not silently skip a stage).
describe('deploy: .gitlab-ci.yml', () => {
  const ci = parse(readFileSync(join(ROOT, '.gitlab-ci.yml'), 'utf8'), { merge: true }) as Record<
    string,
    unknown
  >;
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
    scripts: Record<string, string>;
  };
  const jobs = Object.entries(ci).filter(
    ([name, v]) => !name.startsWith('.') && typeof v === 'object' && v !== null && 'script' in v,
  ) as [string, Job][];
  const scriptOf = (job: Job): string[] => [job.script].flat(2).map(String);

  it('declares the stages in order and every job uses one of them', () => {
    const stages = ci.stages as string[];
    expect(stages).toEqual([
      'install',
      'lint',
      'unit',
      'e2e',
      'browser',
      'build',
      'scan',
      'helm',
      'staging',
      'production',
    ]);
    for (const [, job] of jobs) expect(stages).toContain(job.stage);
    expect(new Set(jobs.map(([, j]) => j.stage))).toEqual(new Set(stages));
  });

  it('calls only npm scripts that exist', () => {
    const used = jobs.flatMap(([, job]) =>
      scriptOf(job).flatMap((line) => [...line.matchAll(/npm run ([\w:-]+)/g)].map((m) => m[1])),
    );
    expect(used.length).toBeGreaterThanOrEqual(5);
    for (const name of used) expect(Object.keys(pkg.scripts)).toContain(name);
  });

  it('runs e2e against postgres and redis, builds with kaniko, deploys atomically, production by hand', () => {
    const job = (name: string): Job => Object.fromEntries(jobs)[name];
    expect(JSON.stringify(job('e2e').services)).toMatch(/postgres.*redis/);
    expect(scriptOf(job('browser-e2e')).join('\n')).toBeTruthy();
    expect(scriptOf(job('build-image')).join('\n')).toContain('/kaniko/executor');
    expect(scriptOf(job('npm-audit')).join('\n')).toContain('npm audit');
    expect(scriptOf(job('helm')).join('\n')).toContain('helm lint');
    for (const name of ['deploy-staging', 'deploy-production']) {
      expect(scriptOf(job(name)).join('\n')).toMatch(/helm upgrade --install .*--atomic/s);
    }
    expect(JSON.stringify(job('deploy-production').rules)).toContain('"when":"manual"');
  });
});
