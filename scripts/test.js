// `npm test`: unit + e2e on in-memory PGlite, then the e2e suite again on PostgreSQL.
// PostgreSQL and Redis default to the local servers (127.0.0.1); tests that need one skip with a printed reason
// only when it cannot be reached. `.ci/run` starts both, so CI never skips.
const { spawnSync } = require('node:child_process');
const { join } = require('node:path');

const jest = [
  '--experimental-vm-modules',
  join(__dirname, '..', 'node_modules', 'jest', 'bin', 'jest.js'),
  '--runInBand',
];
const extra = process.argv.slice(2);

function run(label, args, env) {
  process.stdout.write(`\n=== ${label} ===\n`);
  const result = spawnSync(process.execPath, [...jest, ...args, ...extra], {
    stdio: 'inherit',
    env: { ...process.env, ...env },
  });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

const pgUrl = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const redisUrl = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const services = { TEST_PG_URL: pgUrl, TEST_REDIS_URL: redisUrl };

// Specs that spawn `node dist/main.js` (start-up, TLS, CLI, several instances) need a build matching src/.
const build = spawnSync(process.execPath, [join(__dirname, 'ensure-build.js')], { stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);

// The e2e suite runs in two shards, each its own jest process: one --runInBand process over every spec grew to
// 2.8 GB and once stalled for good after its last e2e file (main thread waiting on a lock, no CPU), while the same
// specs pass in smaller processes. Shards keep each process's heap small; together they run every spec.
const SHARDS = ['1/2', '2/2'];

// TEST_DATABASE_URL unset: every e2e spec runs on PGlite (specs that need PostgreSQL/Redis read TEST_PG_URL).
run('unit', ['--selectProjects', 'unit'], { ...services, TEST_DATABASE_URL: '' });
for (const shard of SHARDS)
  run(`e2e on PGlite, shard ${shard}`, ['--selectProjects', 'e2e', `--shard=${shard}`], {
    ...services,
    TEST_DATABASE_URL: '',
  });
if (process.env.SKIP_PG_PASS !== '1') {
  for (const shard of SHARDS)
    run(
      `e2e on PostgreSQL, shard ${shard}`,
      [
        '--selectProjects',
        'e2e',
        `--shard=${shard}`,
        '--testPathIgnorePatterns',
        'browser|multi-instance|scale-out|startup|tls|redis',
      ],
      { ...services, TEST_DATABASE_URL: pgUrl },
    );
}
