import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { chmodSync, chownSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CHART_DIR, renderChart } from '../support/helm';

// The chart's turnserver.conf, loaded by a real coturn: every option must parse, TURN REST
// credentials signed with the shared secret must allocate, and a relay to a loopback peer
// must be refused by the denied-peer-ip rules. Debian's coturn (4.6) is built without
// Prometheus support, so the two `prometheus` lines are left out here; the chart's image has it.
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

function uclient(port: number, secret: string): Promise<string> {
  const username = `${Math.floor(Date.now() / 1000) + 600}:user-1`;
  const password = createHmac('sha1', secret).update(username).digest('base64');
  return new Promise((resolve) => {
    execFile(
      'turnutils_uclient',
      ['-y', '-n', '2', '-p', String(port), '-u', username, '-w', password, '127.0.0.1'],
      { timeout: 20_000 },
      (_error, stdout, stderr) => resolve(`${stdout}${stderr}`),
    );
  });
}

describe('deploy: the chart’s coturn configuration', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hekim-coturn-'));
  const secret = 'a-test-secret-of-reasonable-length-0123456789';
  let proc: ChildProcess | undefined;
  let log = '';
  let port = 0;

  beforeAll(async () => {
    const manifests = renderChart([join(CHART_DIR, 'ci', 'production-values.yaml')]);
    const conf = manifests.find((m) => m.kind === 'ConfigMap' && m.metadata.name === 'hekim-coturn')
      ?.data as Record<string, string>;
    // Paths of the pod's mounts, moved into the temp dir; nothing else changes.
    const local = conf['turnserver.conf']
      .split('\n')
      .filter((l) => !l.startsWith('prometheus'))
      .map((l) =>
        l
          .replace('/etc/coturn/tls/', `${dir}/`)
          .replace('/var/lib/coturn/', `${dir}/`)
          .replace('pidfile=/tmp/', `pidfile=${dir}/`),
      )
      .join('\n');
    writeFileSync(join(dir, 'turnserver.conf'), local);
    await promisify(execFile)('openssl', [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      join(dir, 'tls.key'),
      '-out',
      join(dir, 'tls.crt'),
      '-days',
      '1',
      '-subj',
      '/CN=turn.test',
    ]);
    chmodSync(dir, 0o755);
    const asNobody = process.getuid?.() === 0;
    if (asNobody) {
      for (const f of ['', 'turnserver.conf', 'tls.key', 'tls.crt'])
        chownSync(join(dir, f), 65534, 65534);
    }
    port = await freePort();
    proc = spawn(
      'turnserver',
      [
        '-c',
        join(dir, 'turnserver.conf'),
        `--static-auth-secret=${secret}`,
        '--listening-ip=127.0.0.1',
        '--relay-ip=127.0.0.1',
        `--listening-port=${port}`,
        `--tls-listening-port=${await freePort()}`,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'], ...(asNobody ? { uid: 65534, gid: 65534 } : {}) },
    );
    proc.stdout?.on('data', (c: Buffer) => (log += c.toString()));
    proc.stderr?.on('data', (c: Buffer) => (log += c.toString()));
    for (let i = 0; i < 100 && !log.includes('Total General servers'); i++) {
      await new Promise((r) => setTimeout(r, 100));
    }
  });

  afterAll(() => {
    proc?.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  });

  it('parses every option of the rendered turnserver.conf', () => {
    expect(log).toContain('Total General servers');
    expect(log).not.toMatch(/Bad configuration format|unrecognized option/);
  });

  it('allocates with TURN REST credentials and refuses to relay to a loopback peer', async () => {
    const out = await uclient(port, secret);
    // The allocation succeeded (authenticated); binding the loopback peer is forbidden.
    expect(out).toContain('403 (Forbidden IP)');
    expect(log).not.toContain('allow-loopback-peers');
  });

  it('refuses credentials signed with another secret', async () => {
    const out = await uclient(port, 'another-secret-entirely-0123456789abcdef');
    expect(out).not.toContain('403 (Forbidden IP)');
    expect(out).toMatch(/401|Cannot complete Allocation/);
  });
});
