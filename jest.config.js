// Two tiers: unit specs beside the code, e2e tests under test/ against the
// real PostgreSQL and Redis; the e2e tests that drive real browsers are the `browser` project
// (also `npm run test:browser` alone). `npm test` runs them all with coverage over src/.
const {
  BROWSER_DIR,
  browserProject,
  globalSetup,
  globalTeardown,
  moduleNameMapper,
  transform,
  transformIgnorePatterns,
} = require('./jest.shared.js');

/** @type {import('jest').Config} */
module.exports = {
  collectCoverageFrom: [
    'src/**/*.ts',
    '!src/**/*.spec.ts',
    // Process entry points: exercised by test/embedded-mode.e2e-spec.ts in a child process,
    // where coverage cannot follow.
    '!src/main.ts',
    '!src/infra/database/data-source.ts',
    '!src/migrate.ts',
    // The client SDK (docs/sdk.md), measured apart from the server (its own threshold below):
    // its generated REST types and event map (the server's) and the re-exports aside.
    'packages/client/src/**/*.ts',
    '!packages/client/src/api/openapi.ts',
    '!packages/client/src/contract/**',
    '!packages/client/src/index.ts',
  ],
  coverageDirectory: 'coverage',
  coverageReporters: ['text-summary', 'lcov'],
  // A path's threshold takes its files out of `global`, so the server's figure stays the
  // server's. The SDK is exercised by test/sdk alone (measured: 84 % lines, 66 % branches):
  // its device and network failure paths need a browser or a broken network, which the web
  // app's browser tests bring.
  coverageThreshold: {
    global: { lines: 80, branches: 80 },
    './packages/client/src/': { lines: 75, branches: 55 },
  },
  // e2e tests start whole apps and real processes; nothing here is a timing assertion.
  testTimeout: 60000,
  // On two cores Jest would run every file in one process, whose heap (each file's modules,
  // Nest apps and coverage counters) grew to the V8 limit of about 4 GB over the run; garbage
  // collection then stalled the tests for seconds at a time (a 5 s client timeout could fire in
  // the test itself, and the export memory suite's forced collections took minutes). With a
  // limit Jest runs the files in a worker and starts a fresh one once a file leaves it above.
  workerIdleMemoryLimit: '1GB',
  // Most of an e2e file is waiting on PostgreSQL, Redis, child processes and sockets, so two
  // files overlap well on two cores (Jest's default would be one worker there). JEST_WORKERS
  // overrides it, e.g. JEST_WORKERS=1 to rule out interference while chasing a failure.
  maxWorkers: Number(process.env.JEST_WORKERS) || 2,
  projects: [
    {
      displayName: 'unit',
      testEnvironment: 'node',
      rootDir: '.',
      // bench/**/*.spec.ts: the harness' own pure helpers (the benchmarks are not tests);
      // test/sdk/**/*.spec.ts: the pure logic of the client SDK (packages/client, docs/sdk.md).
      testMatch: [
        '<rootDir>/src/**/*.spec.ts',
        '<rootDir>/bench/**/*.spec.ts',
        '<rootDir>/test/sdk/**/*.spec.ts',
      ],
      transform,
      transformIgnorePatterns,
      moduleNameMapper,
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
      // Checks of files alone (CI jobs, chart policy, rules): no database, no app, no global setup.
      displayName: 'static',
      testEnvironment: 'node',
      rootDir: '.',
      testMatch: ['<rootDir>/test/**/*.static-spec.ts'],
      transform,
      transformIgnorePatterns,
      moduleNameMapper,
    },
    {
      displayName: 'e2e',
      testEnvironment: 'node',
      rootDir: '.',
      testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'],
      // test/browser has a project of its own (below).
      testPathIgnorePatterns: [BROWSER_DIR],
      transform,
      transformIgnorePatterns,
      moduleNameMapper,
      globalSetup,
      globalTeardown,
    },
    browserProject,
  ],
};
