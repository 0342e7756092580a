import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

// A private PKI for SIEM tests, made by openssl in `dir` (P-256, one day): a CA and the
// collector's certificate it signs (127.0.0.1 and localhost), a client certificate it signs
// (mutual TLS), a certificate for the right address signed by another CA, and one the right
// CA signs for another name. Nothing is kept in the repository.
export interface SiemPki {
  caFile: string;
  server: { cert: string; key: string };
  client: { cert: string; key: string };
  rogueServer: { cert: string; key: string };
  wrongNameServer: { cert: string; key: string };
}

async function keyAndCsr(dir: string, name: string, cn: string): Promise<void> {
  await run('openssl', [
    'req',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    join(dir, `${name}-key.pem`),
    '-out',
    join(dir, `${name}.csr`),
    '-subj',
    `/CN=${cn}`,
  ]);
}

async function selfSignedCa(dir: string, name: string): Promise<void> {
  await run('openssl', [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    join(dir, `${name}-key.pem`),
    '-out',
    join(dir, `${name}.pem`),
    '-days',
    '1',
    '-subj',
    `/CN=${name}`,
  ]);
}

async function sign(dir: string, name: string, ca: string, extensions: string): Promise<void> {
  const ext = join(dir, `${name}.ext`);
  writeFileSync(ext, extensions);
  await run('openssl', [
    'x509',
    '-req',
    '-in',
    join(dir, `${name}.csr`),
    '-CA',
    join(dir, `${ca}.pem`),
    '-CAkey',
    join(dir, `${ca}-key.pem`),
    '-CAcreateserial',
    '-out',
    join(dir, `${name}.pem`),
    '-days',
    '1',
    '-extfile',
    ext,
  ]);
}

export async function makeSiemPki(dir: string): Promise<SiemPki> {
  await Promise.all([selfSignedCa(dir, 'ca'), selfSignedCa(dir, 'rogue-ca')]);
  await Promise.all([
    keyAndCsr(dir, 'server', 'collector'),
    keyAndCsr(dir, 'client', 'hekim'),
    keyAndCsr(dir, 'rogue-server', 'collector'),
    keyAndCsr(dir, 'wrong-name-server', 'collector'),
  ]);
  const server = 'basicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n';
  // Sequential: the CAs' serial files are shared.
  await sign(dir, 'server', 'ca', `${server}subjectAltName=IP:127.0.0.1,DNS:localhost\n`);
  await sign(dir, 'client', 'ca', 'basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n');
  await sign(
    dir,
    'rogue-server',
    'rogue-ca',
    `${server}subjectAltName=IP:127.0.0.1,DNS:localhost\n`,
  );
  await sign(dir, 'wrong-name-server', 'ca', `${server}subjectAltName=DNS:other.example\n`);
  const pair = (name: string) => ({
    cert: join(dir, `${name}.pem`),
    key: join(dir, `${name}-key.pem`),
  });
  return {
    caFile: join(dir, 'ca.pem'),
    server: pair('server'),
    client: pair('client'),
    rogueServer: pair('rogue-server'),
    wrongNameServer: pair('wrong-name-server'),
  };
}

export interface RsyslogOptions {
  // A directory of its own: configuration, work directory, pid file, received messages.
  dir: string;
  port: number;
  caFile: string;
  cert: string;
  key: string;
  // anon: any client; x509/certvalid: the client must present a certificate the CA signed.
  authMode?: 'anon' | 'x509/certvalid';
}

// A real rsyslogd (Debian's rsyslog with rsyslog-gnutls) receiving RFC 5425 syslog over TLS
// on 127.0.0.1:<port>, run in the foreground as a child of the test with a configuration of
// its own, writing each message it receives, exactly as received, as one line of `received`.
export class Rsyslog {
  private proc: ChildProcess | null = null;
  private output = '';
  readonly received: string;

  constructor(readonly options: RsyslogOptions) {
    this.received = join(options.dir, 'received.log');
  }

  static async start(options: RsyslogOptions): Promise<Rsyslog> {
    const r = new Rsyslog(options);
    await r.start();
    return r;
  }

  async start(): Promise<void> {
    const { dir, port, caFile, cert, key } = this.options;
    const conf = join(dir, 'rsyslog.conf');
    writeFileSync(
      conf,
      [
        `global(workDirectory="${dir}" maxMessageSize="64k"`,
        `  defaultNetstreamDriver="gtls" defaultNetstreamDriverCAFile="${caFile}"`,
        `  defaultNetstreamDriverCertFile="${cert}" defaultNetstreamDriverKeyFile="${key}")`,
        `module(load="imtcp" streamDriver.name="gtls" streamDriver.mode="1"`,
        `  streamDriver.authMode="${this.options.authMode ?? 'anon'}")`,
        `input(type="imtcp" port="${port}" address="127.0.0.1")`,
        'template(name="raw" type="string" string="%rawmsg%\\n")',
        `action(type="omfile" file="${this.received}" template="raw")`,
        '',
      ].join('\n'),
    );
    this.output = '';
    const proc = spawn('rsyslogd', ['-n', '-f', conf, '-i', join(dir, 'rsyslogd.pid')], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    proc.stdout.on('data', (c: Buffer) => (this.output += c.toString()));
    proc.stderr.on('data', (c: Buffer) => (this.output += c.toString()));
    this.proc = proc;
    await waitFor(
      () => listening(port),
      10_000,
      () => `rsyslogd did not listen on ${port}:\n${this.output}`,
    );
  }

  // SIGTERM, and wait until it has exited (its port closed).
  async stop(): Promise<void> {
    const proc = this.proc;
    this.proc = null;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.kill('SIGTERM');
    await exited;
  }

  // The messages received so far, one per line, in the order rsyslog wrote them.
  lines(): string[] {
    if (!existsSync(this.received)) return [];
    return readFileSync(this.received, 'utf8')
      .split('\n')
      .filter((l) => l !== '');
  }

  log(): string {
    return this.output;
  }
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

// Polls `condition` every 50 ms until it holds, failing after `timeoutMs`.
export async function waitFor(
  condition: () => boolean | Promise<boolean>,
  timeoutMs: number,
  describe: () => string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await condition()) return;
    if (Date.now() > deadline) throw new Error(describe());
    await new Promise((r) => setTimeout(r, 50));
  }
}
