// Pieces shared by jest.config.js (npm test) and jest.browser.config.js (npm run test:browser).
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

module.exports = {
  transform,
  transformIgnorePatterns,
  // Two-peer WebRTC scenarios, run by `npm run test:browser` until a rare stall is fixed.
  BROWSER_SCENARIOS: [
    '<rootDir>/test/browser/consultation.e2e-spec.ts',
    '<rootDir>/test/browser/consultation-relay.e2e-spec.ts',
    '<rootDir>/test/browser/call.e2e-spec.ts',
    '<rootDir>/test/browser/peer-negotiation.e2e-spec.ts',
  ],
};
