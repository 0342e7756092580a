import 'reflect-metadata';
import { runRetentionCli } from '../src/modules/compliance/retention/retention-cli';

// Applies the retention periods once (docs/compliance.md). Same environment as the app.
void runRetentionCli(
  process.env,
  (line) => process.stdout.write(`${line}\n`),
  (line) => process.stderr.write(`${line}\n`),
).then((code) => {
  process.exitCode = code;
});
