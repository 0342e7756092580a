// The two-peer browser scenarios of test/browser (Debian Chromium via playwright-core, real
// coturn): `npm run test:browser`. Kept out of `npm test` until they are stable (see
// docs/demo.md); the demo page's own browser test stays in `npm test`.
const { BROWSER_SCENARIOS, transform, transformIgnorePatterns } = require('./jest.shared.js');

/** @type {import('jest').Config} */
module.exports = {
  testTimeout: 120000,
  projects: [
    {
      displayName: 'browser',
      testEnvironment: 'node',
      rootDir: '.',
      testMatch: BROWSER_SCENARIOS,
      transform,
      transformIgnorePatterns,
      globalSetup: '<rootDir>/test/support/global-setup.ts',
      globalTeardown: '<rootDir>/test/support/global-teardown.ts',
    },
  ],
};
