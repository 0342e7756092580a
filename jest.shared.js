// Pieces shared by jest.config.js (npm test) and jest.browser.config.js (npm run test:browser).
// Each file is compiled on its own (tsconfig.json has isolatedModules): Jest does no type
// checking, which `npm run typecheck` does once for every file, src/ and test/ alike. That made
// the suite's compile time about seven times smaller than a full program per worker. The
// transformer in jest.metadata-hint.js keeps the decorator metadata's import guards out of the
// coverage figures. TS151002 is ts-jest's note on hybrid module kinds.
const transform = {
  '^.+\\.ts$': [
    'ts-jest',
    {
      tsconfig: 'tsconfig.json',
      diagnostics: { ignoreCodes: [151002] },
      astTransformers: { after: ['<rootDir>/jest.metadata-hint.js'] },
    },
  ],
  // otplib's default plugins and file-type (chat attachments) depend on ESM-only packages;
  // Node loads them with require(esm), jest's module system needs them compiled to CommonJS.
  '/node_modules/(@scure|@noble|file-type|strtok3|token-types|@tokenizer/inflate|uint8array-extras|@borewit)/.+\\.js$':
    ['ts-jest', { tsconfig: { allowJs: true, module: 'commonjs' }, isolatedModules: true }],
};
const transformIgnorePatterns = [
  '/node_modules/(?!(@scure|@noble|file-type|strtok3|token-types|@tokenizer/inflate|uint8array-extras|@borewit)/)',
];

// file-type declares only `import` conditions, which jest's resolver (require) does not take.
// The client SDK (packages/client) is written as ES modules whose relative imports carry the
// `.js` suffix of their compiled files; jest resolves them to the sources.
const moduleNameMapper = {
  '^file-type$': '<rootDir>/node_modules/file-type/index.js',
  '^(\\.{1,2}/.*)\\.js$': '$1',
};

const globalSetup = '<rootDir>/test/support/global-setup.ts';
const globalTeardown = '<rootDir>/test/support/global-teardown.ts';

// Real browsers (Debian's Chromium through playwright-core, coturn) against a real Hekim:
// the demo page and the two-peer WebRTC scenarios of test/browser (docs/demo.md).
const BROWSER_DIR = '<rootDir>/test/browser/';

const browserProject = {
  displayName: 'browser',
  testEnvironment: 'node',
  rootDir: '.',
  testMatch: [`${BROWSER_DIR}**/*.e2e-spec.ts`],
  transform,
  transformIgnorePatterns,
  globalSetup,
  globalTeardown,
  moduleNameMapper,
};

module.exports = {
  moduleNameMapper,
  transform,
  transformIgnorePatterns,
  globalSetup,
  globalTeardown,
  BROWSER_DIR,
  browserProject,
};
