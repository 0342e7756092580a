// After tsc (npm run build:sdk): dist/ holds ES modules, which Node must be told. The package's
// own package.json stays format-neutral so that the project's tests can compile the sources
// as CommonJS (ts-jest) while browsers, bundlers and React Native's Metro load dist/.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

writeFileSync(join(import.meta.dirname, 'dist', 'package.json'), '{ "type": "module" }\n');
