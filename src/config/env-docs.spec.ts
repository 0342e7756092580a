import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ENV_NAMES } from './env.schema';

const root = join(__dirname, '..', '..');

// docs/configuration.md and .env.example must list exactly the variables the schema reads.
describe('configuration documentation', () => {
  const schema = [...ENV_NAMES].sort();

  it('docs/configuration.md documents every variable and no other', () => {
    const doc = readFileSync(join(root, 'docs', 'configuration.md'), 'utf8');
    const documented = [...doc.matchAll(/^\|\s*`([A-Z_]+)`\s*\|/gm)].map((m) => m[1]).sort();
    expect(documented).toEqual(schema);
  });

  it('.env.example lists every variable and no other', () => {
    const example = readFileSync(join(root, '.env.example'), 'utf8');
    const listed = [...example.matchAll(/^#? ?([A-Z_]+)=/gm)].map((m) => m[1]).sort();
    expect(listed).toEqual(schema);
  });
});
