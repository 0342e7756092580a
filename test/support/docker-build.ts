import { execFileSync, spawn } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, posix } from 'node:path';
import ignore from '@balena/dockerignore';

// Enough of a Dockerfile interpreter to run Hekim's Dockerfile outside a container engine:
// the build context exactly as .dockerignore leaves it, each stage in a directory of its own
// standing for its WORKDIR (/app), COPY from the context or from another stage, RUN in a shell
// with the stage's ENV, and independent stages built concurrently as BuildKit does.
// test/deploy/image-build.e2e-spec.ts uses it; a real build is scripts/image/build-image.sh.

export interface Instruction {
  keyword: string;
  flags: Record<string, string>;
  args: string;
}
export interface Stage {
  name: string;
  instructions: Instruction[];
}

export function parseDockerfile(text: string): { args: Record<string, string>; stages: Stage[] } {
  const lines = text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  const args: Record<string, string> = {};
  const stages: Stage[] = [];
  for (const line of lines) {
    const [, keyword, rest] = /^(\S+)\s+(.*)$/.exec(line) ?? [];
    const flags: Record<string, string> = {};
    let body = rest.replace(/\s+/g, ' ');
    for (let m = /^--([\w-]+)=(\S+)\s+/.exec(body); m; m = /^--([\w-]+)=(\S+)\s+/.exec(body)) {
      flags[m[1]] = m[2];
      body = body.slice(m[0].length);
    }
    const instruction = { keyword: keyword.toUpperCase(), flags, args: body };
    if (instruction.keyword === 'FROM') {
      stages.push({
        name: / AS (\S+)$/i.exec(body)?.[1] ?? String(stages.length),
        instructions: [],
      });
    } else if (stages.length === 0 && instruction.keyword === 'ARG') {
      const [name, value] = body.split('=', 2);
      args[name] = value;
    } else {
      stages.at(-1)?.instructions.push(instruction);
    }
  }
  return { args, stages };
}

// The files (relative paths) a build of `root` sends as its context. Directories that are
// ignored and that no exception pattern reaches into are not walked (node_modules, .git).
export function buildContextFiles(root: string): string[] {
  const patterns = readFileSync(join(root, '.dockerignore'), 'utf8').split('\n');
  const ig = ignore().add(patterns);
  const exceptions = patterns
    .map((p) => p.trim())
    .filter((p) => p.startsWith('!'))
    .map((p) => p.slice(1).replace(/^\//, ''));
  const files: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(join(root, dir), { withFileTypes: true })) {
      const path = dir ? posix.join(dir, entry.name) : entry.name;
      if (entry.isDirectory()) {
        if (ig.ignores(`${path}/`) && !exceptions.some((e) => e.startsWith(`${path}/`))) continue;
        walk(path);
      } else if (!ig.ignores(path)) {
        files.push(path);
      }
    }
  };
  walk('');
  return files.sort();
}

export function copyContext(root: string, files: string[], to: string): void {
  for (const file of files) {
    mkdirSync(dirname(join(to, file)), { recursive: true });
    cpSync(join(root, file), join(to, file));
  }
}

export interface StageRun {
  dir: string;
  env: Record<string, string>;
  cmd?: string[];
  skipped: string[];
}

// Runs every stage; `skipRun` names RUN steps that change the base image's operating system
// (apt-get), which a directory cannot stand for. Returns each stage's directory and ENV.
export async function runStages(
  stages: Stage[],
  contextDir: string,
  workDir: string,
  skipRun: (command: string) => boolean,
  log: (line: string) => void,
): Promise<Map<string, StageRun>> {
  const done = new Map<string, Promise<StageRun>>();
  const run = async (stage: Stage): Promise<StageRun> => {
    const result: StageRun = { dir: join(workDir, stage.name), env: {}, skipped: [] };
    mkdirSync(result.dir, { recursive: true });
    for (const { keyword, flags, args } of stage.instructions) {
      if (keyword === 'WORKDIR' && args !== '/app') throw new Error(`WORKDIR ${args}`);
      if (keyword === 'ENV') {
        for (const [, k, v] of args.matchAll(/(\w+)=(\S+)/g)) result.env[k] = v;
      } else if (keyword === 'COPY') {
        const from = flags.from;
        if (from !== undefined) {
          const source = stages.find((s) => s.name === from);
          if (!source) throw new Error(`COPY --from=${from}: no such stage`);
          await done.get(from);
        }
        const words = args.split(' ');
        const dest = join(result.dir, words.at(-1) as string);
        const sources = words.slice(0, -1);
        for (const src of sources) {
          const path =
            from === undefined
              ? join(contextDir, src)
              : join(workDir, from, posix.relative('/app', src));
          const target =
            sources.length > 1 || dest.endsWith('/') ? join(dest, basename(src)) : dest;
          copy(path, target);
        }
      } else if (keyword === 'RUN') {
        if (skipRun(args)) {
          result.skipped.push(args);
          continue;
        }
        log(`[${stage.name}] RUN ${args}`);
        await shell(args, result.dir, { ...process.env, ...result.env } as Record<string, string>);
      } else if (keyword === 'CMD') {
        result.cmd = JSON.parse(args) as string[];
      }
    }
    return result;
  };
  for (const stage of stages) done.set(stage.name, run(stage));
  const results = new Map<string, StageRun>();
  for (const [name, p] of done) results.set(name, await p);
  return results;
}

// COPY's semantics: a directory's contents go into the target directory, a file to the target.
// cp(1) rather than fs.cpSync, which takes minutes over a node_modules tree on a busy disk.
function copy(from: string, to: string): void {
  if (statSync(from).isDirectory()) {
    mkdirSync(to, { recursive: true });
    execFileSync('cp', ['-a', `${from}/.`, `${to}/`]);
  } else {
    mkdirSync(dirname(to), { recursive: true });
    execFileSync('cp', ['-a', from, to]);
  }
}

// rm(1) for the same reason.
export function removeTree(dir: string): void {
  execFileSync('rm', ['-rf', dir]);
}

function shell(command: string, cwd: string, env: Record<string, string>): Promise<void> {
  return new Promise((resolve, reject) => {
    let out = '';
    const child = spawn('sh', ['-c', command], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`RUN ${command} exited ${code}:\n${out}`)),
    );
  });
}
