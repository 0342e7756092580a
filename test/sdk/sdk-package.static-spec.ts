import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { VERSION } from '../../packages/client/src/version';

// @hekim/client shares the server's signaling event map (a copy where the package's own
// compiler can reach it, like the demo's) and is versioned with the server.
const ROOT = join(__dirname, '..', '..');
const SERVER = 'src/modules/signaling/signaling-events.ts';
const SDK = 'packages/client/src/contract/signaling-events.ts';
const read = (path: string): string => readFileSync(join(ROOT, path), 'utf8');

describe('sdk: the package follows the server', () => {
  it(`keeps ${SDK} identical to ${SERVER} (cp ${SERVER} ${SDK})`, () => {
    expect(read(SDK)).toBe(read(SERVER));
  });

  it('has the server’s version, in package.json and in VERSION, with a changelog entry', () => {
    const server = (JSON.parse(read('package.json')) as { version: string }).version;
    const sdk = JSON.parse(read('packages/client/package.json')) as {
      name: string;
      version: string;
    };
    expect(sdk).toMatchObject({ name: '@hekim/client', version: server });
    expect(VERSION).toBe(server);
    expect(read('packages/client/CHANGELOG.md')).toContain(`## ${server}`);
  });
});
