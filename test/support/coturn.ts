import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Coturn {
  port: number;
  secret: string;
  // coturn's log (allocations, with the TURN username); removed by stop().
  logFile: string;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export interface UclientResult {
  code: number;
  output: string;
}

// Allocates a relay with the given credentials (turnutils_uclient from Debian's coturn).
export function allocate(port: number, username: string, password: string): Promise<UclientResult> {
  return new Promise((resolve) => {
    execFile(
      'turnutils_uclient',
      ['-y', '-n', '2', '-p', String(port), '-u', username, '-w', password, '127.0.0.1'],
      { timeout: 20_000 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
        resolve({ code, output: `${stdout}${stderr}` });
      },
    );
  });
}

// A private coturn on a free loopback port with a random static-auth-secret, with the flags
// two local browsers need to relay through it. Loopback peers are allowed for this test only.
export async function startCoturn(): Promise<Coturn> {
  const port = await freePort();
  const secret = randomBytes(24).toString('hex');
  const dir = mkdtempSync(join(tmpdir(), 'hekim-coturn-'));
  const log = join(dir, 'turn.log');
  const proc: ChildProcess = spawn(
    'turnserver',
    [
      '-n',
      // Verbose: each allocation is logged with its TURN username (tests read the log).
      '-v',
      '--listening-ip=127.0.0.1',
      '--relay-ip=127.0.0.1',
      `--listening-port=${port}`,
      '--min-port=61000',
      '--max-port=65535',
      '--use-auth-secret',
      `--static-auth-secret=${secret}`,
      '--realm=test.local',
      '--fingerprint',
      '--allow-loopback-peers',
      '--no-cli',
      '--no-tls',
      '--no-dtls',
      '--no-multicast-peers',
      `--log-file=${log}`,
      '--simple-log',
      `--pidfile=${join(dir, 'turn.pid')}`,
    ],
    { stdio: 'ignore' },
  );
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const stop = async (): Promise<void> => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  };
  // Ready once its TCP listener accepts (bounded poll); UDP opens in the same start-up step.
  for (let i = 0; i < 100 && proc.exitCode === null; i++) {
    if (await accepts(port)) return { port, secret, logFile: log, stop };
    await new Promise((r) => setTimeout(r, 100));
  }
  await stop();
  throw new Error('coturn did not start');
}
