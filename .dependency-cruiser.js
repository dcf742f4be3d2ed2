/**
 * The house rules for imports inside src/ (see STYLE.md). `npm run depcruise` checks them; .ci/run runs it.
 *
 * LAYERS lists the folders of src/ from the top down: a folder may import only from folders on a lower line.
 * Folders on the same line know nothing of each other. Files directly in src/ (main, setup-app, cli, app.module,
 * openapi) sit above every folder.
 */
const LAYERS = [
  ['auth', 'federation'],
  ['email', 'mfa'],
  ['passkeys'],
  ['oauth', 'users'],
  ['sessions'],
  ['keys'],
  ['audit', 'metrics', 'throttling', 'health', 'lockout'],
  ['revocation', 'mail'],
  ['logging', 'access', 'redis', 'database', 'passwords'],
  ['config', 'common', 'events'],
];

const folder = (name) => `^src/${name}/`;
const anyOf = (names) => `^src/(${names.join('|')})/`;

/** For each folder: every folder on its own line or above it is out of bounds. */
const upward = LAYERS.flatMap((line, index) =>
  line.map((name) => {
    const forbidden = LAYERS.slice(0, index + 1)
      .flat()
      .filter((other) => other !== name);
    return {
      name: `layers-${name}`,
      comment: `src/${name}/ may import only from the layers below it: ${LAYERS.slice(index + 1)
        .map((l) => l.join('/'))
        .join(', ')}.`,
      severity: 'error',
      from: { path: folder(name) },
      to: { path: anyOf(forbidden) },
    };
  }),
);

const FEATURES = LAYERS.flat();

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'A cycle means a boundary is wrong (and would need forwardRef).',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
    ...upward,
    {
      name: 'folders-never-import-the-root',
      comment: 'main, setup-app, cli, app.module and openapi assemble the app; nothing inside a folder imports them.',
      severity: 'error',
      from: { path: anyOf(FEATURES) },
      to: { path: '^src/[^/]+\\.ts$' },
    },
    {
      name: 'no-foreign-repository',
      comment: "A feature owns its tables: only its own files use its repositories; others ask its service.",
      severity: 'error',
      from: { path: '^src/([^/]+)/' },
      to: { path: '^src/[^/]+/.+\\.repository\\.ts$', pathNot: '^src/$1/' },
    },
    {
      name: 'schema-only-in-repositories',
      comment: 'Table access goes through a repository (or the database module itself).',
      severity: 'error',
      from: { path: '^src/', pathNot: ['\\.repository\\.ts$', '^src/database/', '\\.spec\\.ts$'] },
      to: { path: '^src/database/schema\\.ts$' },
    },
    {
      name: 'no-barrels',
      comment: 'No index.ts barrels inside src/.',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^src/.*/index\\.ts$' },
    },
    {
      name: 'no-test-code-in-src',
      comment: 'Production code never imports from test/.',
      severity: 'error',
      from: { path: '^src/', pathNot: '\\.spec\\.ts$' },
      to: { path: '^test/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)(dist|coverage|node_modules)/' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    // Specs may reach across layers to build what they test; the rules are about production code.
    includeOnly: '^src/',
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
  },
};
