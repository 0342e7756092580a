import { readFileSync } from 'node:fs';
import { join } from 'node:path';

// The demo page types its signaling with the server's own event map: a copy of
// src/modules/signaling/signaling-events.ts (which imports nothing, so a client can share it)
// under demo/src/contract/, where the demo's compiler can reach it. A server change to an
// event or payload must reach the copy, and then the demo's typecheck says what to adapt.
const ROOT = join(__dirname, '..', '..');
const SERVER = 'src/modules/signaling/signaling-events.ts';
const DEMO = 'demo/src/contract/signaling-events.ts';

describe('demo: the signaling event map is the server’s', () => {
  it(`keeps ${DEMO} identical to ${SERVER} (cp ${SERVER} ${DEMO})`, () => {
    expect(readFileSync(join(ROOT, DEMO), 'utf8')).toBe(readFileSync(join(ROOT, SERVER), 'utf8'));
  });
});
