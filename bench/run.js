'use strict';
// Gatehouse next to its references, in one run: `npm run bench` (about 10 minutes) or `npm run bench -- --quick`
// (under 2 minutes, for iteration). Flags: --quick, --skip-build, --only=get,tokens,login,storm,refresh,flows,soak,
// --dist=<dir> (run a Gatehouse build from another directory; implies --skip-build),
// --rounds=N, --seconds=N (override the mode's), --baseline=<dir> (also run the protected GET against an older build, for before/after numbers in one run),
// --scale (only the scale scenario, on PostgreSQL: bench/scenarios/scale.js),
// --no-pin (no taskset: servers and load generator share every CPU), --no-peer (no Better Auth).
// The load generator (autocannon) runs as a process of its own, on a CPU of its own where the machine has two.
// Ratios measured side by side are what matter; absolute numbers drift on a shared machine.
// Each scenario is a file in bench/scenarios/; the servers they share are started once by bench/lib/setup.js.
require('reflect-metadata');
const { cpus } = require('node:os');
const { CONNECTIONS, parseOptions } = require('./lib/options');
const { peerRows } = require('./lib/peers');
const { log, printReport, writeResults } = require('./lib/report');
const { setUp, cleanUp } = require('./lib/setup');
const scale = require('./scenarios/scale');

/** In the order they run; `only` is the --only name that selects a scenario, `when` what else it needs. */
const SCENARIOS = [
  { only: 'get', scenario: require('./scenarios/protected-get') },
  { only: 'tokens', scenario: require('./scenarios/token-population') },
  { only: 'login', scenario: require('./scenarios/login') },
  { only: 'storm', scenario: require('./scenarios/storm') },
  { only: 'refresh', scenario: require('./scenarios/refresh') },
  // Counted on the same PostgreSQL instance as the refresh statements, so --only=refresh has always included it.
  {
    only: 'refresh',
    scenario: require('./scenarios/queries-per-get'),
    when: (bench) => bench.pg,
  },
  { only: 'flows', scenario: require('./scenarios/flows') },
  // The OIDC code exchange, on the PostgreSQL instance (its codes are written there directly).
  {
    only: 'flows',
    scenario: require('./scenarios/oidc-exchange'),
    when: (bench) => bench.pg,
  },
  {
    only: 'soak',
    scenario: require('./scenarios/soak'),
    when: (bench) => bench.options.soakSeconds > 0,
  },
];

async function main() {
  const startedAt = new Date();
  const options = parseOptions(process.argv.slice(2));
  if (options.scale) return scale.run(options);
  const bench = await setUp(options);
  const rows = [];
  const targets = [];
  const json = {
    startedAt: startedAt.toISOString(),
    node: process.version,
    cpus: cpus().length,
    quick: options.quick,
    rounds: options.rounds,
    secondsPerRun: options.seconds,
    connections: CONNECTIONS,
    pinning: bench.pinning.note,
    scenarios: {},
  };
  for (const { only, scenario, when } of SCENARIOS) {
    if (!options.only.includes(only) || (when && !when(bench))) continue;
    const outcome = await scenario.run(bench);
    rows.push(...outcome.rows);
    targets.push(...outcome.targets);
    Object.assign(json.scenarios, outcome.scenarios);
    // Top-level facts a scenario learnt about the run (the argon2 options the login scenario measured with).
    Object.assign(json, outcome.settings);
  }
  for (const server of bench.running)
    rows.push({
      scenario: 'RSS after the run',
      server: server.name,
      rssMb: server.rssMb(),
    });
  json.rows = rows;
  json.peers = peerRows(json.scenarios);
  json.targets = targets;
  json.finishedAt = new Date().toISOString();
  writeResults(json);
  printReport(json);
}

process.once('SIGINT', () => {
  void Promise.all([cleanUp(), scale.cleanUp()]).finally(() =>
    process.exit(130),
  );
});

main()
  .catch((error) => {
    process.exitCode = 1;
    log(`benchmark failed: ${error.stack ?? error}`);
  })
  .finally(() => Promise.all([cleanUp(), scale.cleanUp()]));
