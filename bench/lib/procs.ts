// Baseline servers as child processes of the harness (compiled JS beside this file).
import { type ChildProcess, fork } from 'node:child_process';
import { join } from 'node:path';

export interface BareServer {
  url: string;
  pid: number;
  mem(): Promise<{ rss: number; heapUsed: number; sockets: number }>;
  stop(): Promise<void>;
}

// `execArgv`: extra node flags (e.g. the inspector, see inspector.ts); `script`: another
// baseline of bench/baselines (e.g. scenario 5's SQL baseline), with `env` added.
export async function startBare(
  execArgv: string[] = [],
  script = 'bare-server.js',
  env: Record<string, string> = {},
): Promise<BareServer> {
  const proc: ChildProcess = fork(join(__dirname, '..', 'baselines', script), [], {
    execArgv,
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
    env: { ...process.env, BENCH_MAX_SECONDS: '1200', ...env },
  });
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error('bare server did not start')), 15_000);
    proc.stdout?.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /\{"port":(\d+)\}/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
  });
  return {
    url: `http://127.0.0.1:${port}`,
    pid: proc.pid ?? 0,
    mem: () =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no memory answer')), 10_000);
        proc.once('message', (m) => {
          clearTimeout(timer);
          resolve(m as { rss: number; heapUsed: number; sockets: number });
        });
        proc.send('mem');
      }),
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill('SIGTERM');
        await exited;
      }
    },
  };
}
