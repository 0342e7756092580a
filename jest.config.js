// Two tiers (STYLE.md §11): unit specs beside the code, e2e tests under test/ against the
// real PostgreSQL and Redis. `npm test` runs both with coverage over src/.
// Full-program compilation (tsconfig.jest.json) on purpose; TS151002 is ts-jest's note that
// hybrid module kinds prefer isolatedModules.
const transform = {
  '^.+\\.ts$': [
    'ts-jest',
    { tsconfig: 'tsconfig.jest.json', diagnostics: { ignoreCodes: [151002] } },
  ],
  // otplib's default plugins depend on ESM-only packages; Node loads them with require(esm),
  // jest's module system needs them compiled to CommonJS.
  '/node_modules/(@scure|@noble)/.+\\.js$': [
    'ts-jest',
    { tsconfig: { allowJs: true, module: 'commonjs' }, isolatedModules: true },
  ],
};
const transformIgnorePatterns = ['/node_modules/(?!(@scure|@noble)/)'];

/** @type {import('jest').Config} */
module.exports = {
  collectCoverageFrom: [
    'src/**/*.ts',
    '!src/**/*.spec.ts',
    // Process entry points: exercised by test/embedded-mode.e2e-spec.ts in a child process,
    // where coverage cannot follow.
    '!src/main.ts',
    '!src/infra/database/data-source.ts',
  ],
  coverageDirectory: 'coverage',
  coverageReporters: ['text-summary', 'lcov'],
  coverageThreshold: { global: { lines: 80, branches: 80 } },
  // e2e tests start whole apps and real processes; nothing here is a timing assertion.
  testTimeout: 60000,
  projects: [
    {
      displayName: 'unit',
      testEnvironment: 'node',
      rootDir: '.',
      testMatch: ['<rootDir>/src/**/*.spec.ts'],
      transform,
      transformIgnorePatterns,
    },
    {
      // Pure helpers of the browser demo (demo/src), compiled with the demo's own tsconfig.
      // Its ES module imports carry browser-style `.js` suffixes that map back to the sources.
      displayName: 'demo',
      testEnvironment: 'node',
      rootDir: '.',
      testMatch: ['<rootDir>/demo/src/**/*.spec.ts'],
      moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
      transform: {
        '^.+\\.ts$': [
          'ts-jest',
          { tsconfig: 'demo/tsconfig.json', diagnostics: { ignoreCodes: [151002] } },
        ],
      },
    },
    {
      displayName: 'e2e',
      testEnvironment: 'node',
      rootDir: '.',
      testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'],
      transform,
      transformIgnorePatterns,
      globalSetup: '<rootDir>/test/support/global-setup.ts',
      globalTeardown: '<rootDir>/test/support/global-teardown.ts',
    },
  ],
};
