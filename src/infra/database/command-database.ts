import type { AppConfig } from '../../config/app-config';
import {
  EmbeddedDatabaseError,
  EmbeddedDatabaseInUseError,
  NoEmbeddedDatabaseError,
  openEmbeddedPostgres,
} from './embedded-postgres';

export interface CommandDatabase {
  url: string;
  close(): Promise<void>;
}

// The database an operations command works on (docs/operations.md, "Commands"): DATABASE_URL
// when it is set; in the embedded mode the DATA_DIR's own PostgreSQL, that of the Hekim
// running on it if there is one, else started for the command and stopped by close(). Where
// it is goes to `note` (stderr), password excepted.
export async function openCommandDatabase(
  config: AppConfig,
  command: string,
  note: (line: string) => void,
): Promise<CommandDatabase> {
  if (config.database.mode === 'server' && config.database.url) {
    const url = config.database.url;
    return { url, close: () => Promise.resolve() };
  }
  const db = await openEmbeddedPostgres(
    config.dataDir,
    config.database.embeddedPort,
    { log: note, warn: note },
    command,
  );
  return { url: db.url, close: () => db.stop() };
}

// The exit code and the line to print for a database a command could not open; undefined for
// any other error. 78: nothing to work on (configuration); 75: in use, try again later.
export function commandDatabaseFailure(
  error: unknown,
): { code: number; message: string } | undefined {
  if (error instanceof NoEmbeddedDatabaseError) return { code: 78, message: error.message };
  if (error instanceof EmbeddedDatabaseInUseError) return { code: 75, message: error.message };
  if (error instanceof EmbeddedDatabaseError) return { code: 1, message: error.message };
  return undefined;
}
