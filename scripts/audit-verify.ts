import { runAuditVerify } from '../src/modules/audit/verification/audit-verify-cli';

// Offline verifier of an audit export: needs only the file and the public key
// (GET /api/v1/audit/public-key). See docs/audit.md.
void runAuditVerify(
  process.argv.slice(2),
  (line) => process.stdout.write(`${line}\n`),
  (line) => process.stderr.write(`${line}\n`),
).then((code) => {
  process.exitCode = code;
});
