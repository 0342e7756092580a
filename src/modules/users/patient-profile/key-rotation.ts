import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { ConfigError, loadConfig } from '../../../config/load-config';
import {
  commandDatabaseFailure,
  openCommandDatabase,
  type CommandDatabase,
} from '../../../infra/database/command-database';
import { dataSourceOptions } from '../../../infra/database/typeorm-options';
import { UserEntity } from '../user.entity';
import { PatientDataCipher } from './patient-data-cipher';
import { PatientDataKeyEntity, PatientProfileEntity } from './patient-profile.entity';
import { PatientProfileRepository } from './patient-profile.repository';

const BATCH = 200;

export interface RotationResult {
  keyId: string;
  rewrapped: number;
  // Data keys per master key id after the run: only the current id when it is complete.
  keysByMasterKey: Record<string, number>;
}

// Re-wraps every data key not yet under the current master key. Only the small wrapped keys
// change; the encrypted profile fields stay as they are. Each batch is its own transaction,
// so a run can be interrupted and started again; concurrent app instances keep working
// (they read either wrapping, both keys being configured).
export async function rotatePatientDataKeys(
  dataSource: DataSource,
  cipher: PatientDataCipher,
): Promise<RotationResult> {
  const repo = new PatientProfileRepository(
    dataSource.getRepository(PatientProfileEntity),
    dataSource.getRepository(PatientDataKeyEntity),
  );
  let rewrapped = 0;
  let after = '00000000-0000-0000-0000-000000000000';
  for (;;) {
    const done = await dataSource.transaction(async (manager) => {
      const keys = await repo.keysNotWrappedBy(cipher.currentKeyId, after, BATCH, manager);
      for (const key of keys) {
        await repo.updateWrappedKey(key.userId, cipher.rewrap(key.userId, key), manager);
        after = key.userId;
      }
      rewrapped += keys.length;
      return keys.length < BATCH;
    });
    if (done) break;
  }
  const counts = await repo.countKeysByKeyId();
  return {
    keyId: cipher.currentKeyId,
    rewrapped,
    keysByMasterKey: Object.fromEntries(counts.map((c) => [c.keyId, c.count])),
  };
}

const USAGE =
  'usage: npm run keys:rotate   (with PATIENT_DATA_MASTER_KEY = the new key and ' +
  'PATIENT_DATA_PREVIOUS_MASTER_KEYS = the old ones, and DATABASE_URL or the embedded ' +
  "mode's DATA_DIR; see docs/patient-data.md)";

// `npm run keys:rotate`: prints the result as JSON. In the embedded mode it works on DATA_DIR's
// database (docs/operations.md, "Commands"). Exit 0 done (every data key is under the current
// master key), 1 failed, 75 the embedded database is held by another command (try again),
// 78 unusable configuration or no database to work on.
export async function runKeysRotate(
  env: NodeJS.ProcessEnv,
  out: (line: string) => void,
  err: (line: string) => void,
): Promise<number> {
  let config;
  try {
    config = loadConfig(env);
  } catch (e) {
    err(e instanceof ConfigError ? e.message : String(e));
    return 78;
  }
  let db: CommandDatabase;
  try {
    db = await openCommandDatabase(config, 'keys:rotate', err);
  } catch (e) {
    const failure = commandDatabaseFailure(e);
    if (!failure) throw e;
    err(`keys:rotate: ${failure.message}\n${USAGE}`);
    return failure.code;
  }
  const { masterKey, previousMasterKeys, indexKey } = config.patientData;
  const dataSource = new DataSource({
    ...dataSourceOptions({ url: db.url, poolSize: 2, statementTimeoutMs: 600_000 }),
    entities: [UserEntity, PatientDataKeyEntity, PatientProfileEntity],
  });
  try {
    await dataSource.initialize();
    const result = await rotatePatientDataKeys(
      dataSource,
      new PatientDataCipher(masterKey, previousMasterKeys, indexKey),
    );
    out(JSON.stringify(result));
    const complete = Object.keys(result.keysByMasterKey).every((id) => id === masterKey.id);
    return complete ? 0 : 1;
  } catch (e) {
    err(`key rotation failed: ${e instanceof Error ? e.message : String(e)}`);
    return 1;
  } finally {
    if (dataSource.isInitialized) await dataSource.destroy();
    await db.close();
  }
}
