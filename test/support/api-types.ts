import { spawn } from 'node:child_process';

// openapi-typescript's programmatic API, run in a child Node process: the package and several
// of its dependencies are ES modules, which Jest's CommonJS module system cannot load. The
// document goes in on stdin, the generated TypeScript comes back on stdout.
// defaultNonNullable: false, as docs/api.md tells client authors: a request field with a
// default (a room's maxParticipants) may be left out, which the generator's default denies.
const SCRIPT = `
import openapiTS, { astToString } from 'openapi-typescript';
let input = '';
for await (const chunk of process.stdin) input += chunk;
process.stdout.write(astToString(await openapiTS(JSON.parse(input), { defaultNonNullable: false })));
`;

export function generateApiTypes(document: unknown): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', SCRIPT], {
      cwd: process.cwd(),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`openapi-typescript failed (${code}): ${err}`)),
    );
    child.stdin.end(JSON.stringify(document));
  });
}
