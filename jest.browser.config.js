// The browser tests alone (test/browser: Debian's Chromium via playwright-core, real coturn):
// `npm run test:browser`. They also run in `npm test` as the `browser` project.
const { browserProject } = require('./jest.shared.js');

/** @type {import('jest').Config} */
module.exports = {
  testTimeout: 60000,
  // Two files at a time: most of a browser test is waiting (browser start-up, ICE, frames),
  // so two overlap well even on two cores.
  maxWorkers: 2,
  projects: [browserProject],
};
