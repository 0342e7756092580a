// The layering of docs/architecture.md ("Layers"), checked by `npm run lint`.
//
// Tiers run from the bottom up; a module may import only from tiers strictly below its own
// (and from itself). Two modules in one tier never import each other. The foundation
// (common, config, infra) never imports a feature, and the application shell (app.module,
// bootstrap, main, migrate) sits above everything.

/** @type {string[][]} feature tiers, lowest first; every folder of src/modules is in one */
const TIERS = [
  ['audit'],
  ['outbox'],
  ['users'],
  ['auth'],
  ['mail', 'sms', 'webhooks', 'devices'],
  ['rooms'],
  ['sessions', 'ice'],
  ['calls', 'care'],
  ['appointments', 'chat'],
  ['compliance'],
  ['signaling', 'demo'],
];

const FEATURES = TIERS.flat();

// Known debt, listed file by file so that it cannot grow: these still read another module's
// repository. Auth, rooms, care and break-glass read the users repository
// (care and break-glass implement ports the users service depends on, so they cannot use
// that service; rooms is a dependency of care). Each entry should become a call to the owner's
// service or a port.
const REPOSITORY_DEBT = {
  '^src/modules/auth/(auth\\.service|email/email-verification\\.service|mfa/mfa\\.service|sessions/principal-standings|password/password-reset\\.service)\\.ts$':
    '^src/modules/users/users\\.repository\\.ts$',
  '^src/modules/rooms/rooms\\.service\\.ts$': '^src/modules/users/users\\.repository\\.ts$',
  '^src/modules/care/care\\.service\\.ts$': '^src/modules/users/users\\.repository\\.ts$',
  '^src/modules/compliance/break-glass/break-glass\\.service\\.ts$':
    '^src/modules/users/users\\.repository\\.ts$',
};

// A module may not import a module of its own tier or of a higher one.
const upward = TIERS.flatMap((tier, level) =>
  tier.map((feature) => {
    const notBelow = TIERS.slice(level)
      .flat()
      .filter((other) => other !== feature);
    return {
      name: `no-upward-from-${feature}`,
      comment: `${feature} may import only modules of lower tiers (docs/architecture.md, "Layers")`,
      severity: 'error',
      from: { path: `^src/modules/${feature}/` },
      to: { path: `^src/modules/(${notBelow.join('|')})/` },
    };
  }),
).filter((rule) => !rule.to.path.includes('()'));

module.exports = {
  forbidden: [
    ...upward,
    {
      name: 'unknown-module',
      comment: 'every folder of src/modules belongs to a tier: add it to TIERS',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^src/modules/[^/]+/', pathNot: `^src/modules/(${FEATURES.join('|')})/` },
    },
    {
      name: 'unknown-module-importer',
      comment: 'every folder of src/modules belongs to a tier: add it to TIERS',
      severity: 'error',
      from: { path: '^src/modules/[^/]+/', pathNot: `^src/modules/(${FEATURES.join('|')})/` },
      to: {},
    },
    {
      name: 'foundation-never-imports-features',
      comment: 'common/, config/ and infra/ never import modules/ or the application shell',
      severity: 'error',
      from: { path: '^src/(common|config|infra)/' },
      to: { path: '^src/(modules/|app\\.module|bootstrap|main|migrate)' },
    },
    {
      name: 'config-below-infra',
      comment: 'config/ imports common/ only',
      severity: 'error',
      from: { path: '^src/config/' },
      to: { path: '^src/infra/' },
    },
    {
      name: 'features-never-import-the-shell',
      comment:
        'modules never import app.module, bootstrap or main; a command-line entry (*-cli.ts) ' +
        'builds the app and is the one exception',
      severity: 'error',
      from: { path: '^src/modules/', pathNot: '-cli\\.ts$' },
      to: { path: '^src/(app\\.module|bootstrap|main|migrate)\\.ts$' },
    },
    {
      name: 'repositories-stay-home',
      comment:
        "only the owning module touches its tables: another module goes through the owner's " +
        'exported service or a port, never its repository',
      severity: 'error',
      from: { path: '^src/modules/([^/]+)/', pathNot: Object.keys(REPOSITORY_DEBT) },
      to: { path: '^src/modules/[^/]+/.+\\.repository\\.ts$', pathNot: '^src/modules/$1/' },
    },
    ...Object.entries(REPOSITORY_DEBT).map(([from, to]) => ({
      name: 'repositories-stay-home',
      comment: 'a file of the known debt reads no foreign repository beyond the one listed',
      severity: 'error',
      from: { path: from },
      to: {
        path: '^src/modules/[^/]+/.+\\.repository\\.ts$',
        pathNot: [to, `^src/modules/${/^\^src\/modules\/([^/]+)\//.exec(from)[1]}/`],
      },
    })),
    {
      name: 'no-circular',
      comment: 'a cycle means a piece belongs somewhere else (no forwardRef)',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '\\.spec\\.ts$' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js', '.json'] },
  },
};
