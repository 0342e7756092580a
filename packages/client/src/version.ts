// The SDK is versioned with the server: this equals the version of both package.json files
// (test/sdk/sdk-package.static-spec.ts checks it).
export const VERSION = '0.1.0';
