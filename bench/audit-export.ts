// Memory of a full audit export at scale (issue: 1,000,000 records must not grow the process
// by more than ~50 MB). Not part of `npm test`; run with
//   npm run bench:audit-export -- [records=1000000] [ndjson|csv|fhir]
// against BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres), where it
// creates and finally drops a database of its own.
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Client } from 'pg';
import { createApp } from '../src/bootstrap';
import { loadConfig } from '../src/config/load-config';
import { generateSecrets } from '../src/config/secrets';
import { ExportFormat } from '../src/modules/audit/export/audit-export-format';
import { AuditTrailService } from '../src/modules/audit/export/audit-trail.service';
import { insertGeneratedChain } from './audit-fixtures';

const LIMIT_MB = 50;

async function main(): Promise<number> {
  const records = Number(process.argv[2] ?? 1_000_000);
  const format = (process.argv[3] ?? 'ndjson') as ExportFormat;
  const server = new URL(
    process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
  );
  const name = `hekim_bench_audit_${randomBytes(4).toString('hex')}`;
  const admin = new Client({ connectionString: server.toString() });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${name}"`);
  const url = new URL(server);
  url.pathname = `/${name}`;
  try {
    const config = loadConfig(
      {
        NODE_ENV: 'test',
        DATABASE_URL: url.toString(),
        LOG_LEVEL: 'silent',
        AUDIT_CHECKPOINT_EVERY_RECORDS: '1000000',
        ...generateSecrets(),
      },
      { persistGeneratedSecrets: false },
    );
    const app = await createApp(config);
    await app.init();
    try {
      const db = new Client({ connectionString: url.toString() });
      await db.connect();
      const t0 = Date.now();
      await insertGeneratedChain(db, records);
      await db.end();
      console.log(`inserted ${records} chained records in ${(Date.now() - t0) / 1000} s`);

      const file = await app.get(AuditTrailService).export(
        format,
        {},
        {
          actor: { role: 'compliance_officer' },
        },
      );
      const base = process.memoryUsage().rss;
      let peak = base;
      let bytes = 0;
      const sampler = setInterval(() => {
        peak = Math.max(peak, process.memoryUsage().rss);
      }, 100);
      const t1 = Date.now();
      await pipeline(
        Readable.from(file.body),
        async function* (source: AsyncIterable<string>) {
          for await (const chunk of source) {
            bytes += Buffer.byteLength(chunk);
            yield chunk;
          }
        },
        createWriteStream('/dev/null'),
      );
      clearInterval(sampler);
      peak = Math.max(peak, process.memoryUsage().rss);
      const growthMb = (peak - base) / 1024 / 1024;
      const seconds = (Date.now() - t1) / 1000;
      console.log(
        JSON.stringify({
          records,
          format,
          exportMb: Math.round(bytes / 1024 / 1024),
          seconds,
          recordsPerSecond: Math.round(records / seconds),
          rssBaseMb: Math.round(base / 1024 / 1024),
          rssPeakMb: Math.round(peak / 1024 / 1024),
          rssGrowthMb: Math.round(growthMb * 10) / 10,
          limitMb: LIMIT_MB,
        }),
      );
      return growthMb <= LIMIT_MB ? 0 : 1;
    } finally {
      await app.close();
    }
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await admin.end();
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    console.error(e);
    process.exitCode = 2;
  },
);
