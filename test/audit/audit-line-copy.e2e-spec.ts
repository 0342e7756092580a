import { setImmediate as nextTurn } from 'node:timers/promises';
import { Client } from 'pg';
import { LineCopyError, RecordLinesCopy } from '../../src/modules/audit/export/audit-line-copy';
import { TEST_DATABASE_URL } from '../support/test-env';

// RecordLinesCopy reads a binary COPY from the connection's socket itself and gives the
// socket back to node-postgres when the COPY's messages end. Against the real server: the
// lines, the connection's next queries, and the COPY ending in an error.

// Rows of (hash, prev_hash, canonical) made by the server: two 64-character hex texts and a
// JSON text with characters that must reach the line as they are.
function rowsSql(
  count: number,
  canonical = `json_build_object('seq', g::text, 's', 'é "q" \\')::text`,
): string {
  return `SELECT md5(g::text) || md5((g + 1)::text), md5((g - 1)::text) || md5(g::text), ${canonical}
            FROM generate_series(1, ${count}) g`;
}

function copySql(select: string): string {
  return `COPY (${select}) TO STDOUT (FORMAT binary)`;
}

async function expectedLines(client: Client, count: number): Promise<string> {
  const { rows } = await client.query<{ h: string; p: string; c: string }>(
    `SELECT h, p, c FROM (${rowsSql(count)}) AS r(h, p, c)`,
  );
  return rows.map((r) => `{"hash":"${r.h}","prevHash":"${r.p}","record":${r.c}}\n`).join('');
}

async function read(copy: RecordLinesCopy, slowly = false): Promise<string> {
  const parts: Buffer[] = [];
  for await (const chunk of copy as AsyncIterable<Buffer>) {
    parts.push(chunk);
    if (slowly) await nextTurn();
  }
  return Buffer.concat(parts).toString('utf8');
}

describe('RecordLinesCopy on a real connection', () => {
  let client: Client;

  beforeEach(async () => {
    client = new Client({ connectionString: TEST_DATABASE_URL });
    await client.connect();
  });

  afterEach(async () => {
    await client.end();
  });

  it('sends the rows as lines and gives the connection back for the next queries', async () => {
    const expected = await expectedLines(client, 20_000);
    expect(await read(client.query(new RecordLinesCopy(copySql(rowsSql(20_000)))))).toBe(expected);
    expect((await client.query('SELECT 41 + 1 AS n')).rows).toEqual([{ n: 42 }]);
    // Again on the same connection, read slowly: the socket is paused and resumed.
    expect(await read(client.query(new RecordLinesCopy(copySql(rowsSql(20_000)))), true)).toBe(
      expected,
    );
    expect(await read(client.query(new RecordLinesCopy(copySql(rowsSql(0)))))).toBe('');
    expect((await client.query('SELECT 1 AS n')).rows).toEqual([{ n: 1 }]);
  });

  it('passes over notices the server sends between rows', async () => {
    await client.query(`CREATE FUNCTION pg_temp.noisy(g int) RETURNS text LANGUAGE plpgsql AS $$
      BEGIN
        IF g % 500 = 0 THEN RAISE NOTICE 'row %', g; END IF;
        RETURN json_build_object('seq', g::text, 's', 'é "q" \\')::text;
      END $$`);
    const notices: string[] = [];
    client.on('notice', (n) => notices.push(n.message ?? ''));
    const lines = await read(
      client.query(new RecordLinesCopy(copySql(rowsSql(3_000, 'pg_temp.noisy(g)')))),
    );
    expect(lines).toBe(await expectedLines(client, 3_000));
    // Read by the COPY itself: the driver never sees them.
    expect(notices).toEqual([]);
  });

  it('ends with the server’s error when the COPY fails midway, and the connection goes on', async () => {
    const failing = rowsSql(
      30_000,
      `CASE WHEN g < 20000 THEN g::text ELSE (1 / (g - g))::text END`,
    );
    const copy = client.query(new RecordLinesCopy(copySql(failing)));
    let lines = 0;
    await expect(
      (async () => {
        for await (const chunk of copy as AsyncIterable<Buffer>)
          lines += chunk.toString('utf8').split('\n').length - 1;
      })(),
    ).rejects.toThrow('division by zero');
    expect(lines).toBeGreaterThan(0);
    expect(lines).toBeLessThan(20_000);
    expect((await client.query('SELECT 2 AS n')).rows).toEqual([{ n: 2 }]);
  });

  it('ends with the server’s error when the COPY is refused at once', async () => {
    const copy = client.query(new RecordLinesCopy(copySql('SELECT a, b, c FROM no_such_table')));
    await expect(read(copy)).rejects.toThrow('relation "no_such_table" does not exist');
    expect((await client.query('SELECT 3 AS n')).rows).toEqual([{ n: 3 }]);
  });

  it('refuses a COPY that is not binary, or not three columns of text', async () => {
    const text = client.query(new RecordLinesCopy(`COPY (${rowsSql(3)}) TO STDOUT`));
    await expect(read(text)).rejects.toThrow(LineCopyError);
    const other = new Client({ connectionString: TEST_DATABASE_URL });
    await other.connect();
    try {
      const two = other.query(new RecordLinesCopy(copySql('SELECT 1::text, 2::text')));
      await expect(read(two)).rejects.toThrow('a tuple of 2 fields, not 3');
    } finally {
      await other.end();
    }
  });
});
