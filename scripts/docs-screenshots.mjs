// Second half of `npm run docs:screenshots`: copies the main screens that
// test/browser/app-screens.e2e-spec.ts just took (desktop and phone) into docs/images/, where
// the README and docs/demo.md show them.
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

const from = join('test-output', 'browser');
const to = join('docs', 'images');
const SHOTS = [
  'desktop-sign-in',
  'desktop-consent',
  'desktop-patient-home',
  'desktop-precheck',
  'desktop-waiting',
  'desktop-doctor-day',
  'desktop-call',
  'desktop-ended',
  'desktop-incoming-call',
  'phone-call',
  'phone-waiting',
  'phone-patient-home',
];

mkdirSync(to, { recursive: true });
const missing = SHOTS.filter((name) => !existsSync(join(from, `app-${name}.png`)));
if (missing.length > 0) {
  console.error(`missing screenshots (did the test pass?): ${missing.join(', ')}`);
  process.exit(1);
}
for (const name of SHOTS) copyFileSync(join(from, `app-${name}.png`), join(to, `app-${name}.png`));
console.log(`copied ${SHOTS.length} screenshots to ${to}/`);
