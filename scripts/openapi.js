// `npm run openapi`: writes openapi.json, the committed OpenAPI snapshot clients generate code from.
// It boots the built app without listening, on an in-memory PGlite, so it needs no database, Redis or secrets;
// test/openapi.e2e-spec.ts fails when the snapshot and the code drift apart.
const { writeFileSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');

// The keys that decide how the app boots are fixed here, so a developer's shell does not leak into the snapshot.
Object.assign(process.env, {
  NODE_ENV: 'development',
  LOG_LEVEL: 'silent',
  DOCS_ENABLED: 'true',
  DATABASE_URL: 'pglite://memory',
  REDIS_URL: '',
  JWT_ALGORITHM: 'HS256',
  JWT_SECRET: 'openapi-snapshot-only-not-a-real-secret-0000',
});

require('./ensure-build');
const { createApp } = require(join(root, 'dist', 'setup-app'));
const { buildOpenApiDocument, serializeOpenApiDocument } = require(
  join(root, 'dist', 'openapi'),
);

async function main() {
  const app = await createApp({ logger: false });
  try {
    const target = join(root, 'openapi.json');
    const document = buildOpenApiDocument(app);
    writeFileSync(target, serializeOpenApiDocument(document));
    const operations = Object.values(document.paths).reduce(
      (n, item) => n + Object.keys(item).length,
      0,
    );
    process.stdout.write(
      `wrote ${target} (OpenAPI ${document.openapi}, ${operations} operations)\n`,
    );
  } finally {
    await app.close();
  }
}

main().catch((error) => {
  process.stderr.write(`npm run openapi failed: ${error?.stack ?? error}\n`);
  process.exit(1);
});
