import { runKeysRotate } from '../src/modules/users/patient-profile/key-rotation';

// Re-wraps every patient data key under PATIENT_DATA_MASTER_KEY. See docs/patient-data.md.
void runKeysRotate(
  process.env,
  (line) => process.stdout.write(`${line}\n`),
  (line) => process.stderr.write(`${line}\n`),
).then((code) => {
  process.exitCode = code;
});
