'use strict';
// The command line and the fixed settings of a run: paths, ports, the shared secret, the accounts the scenarios use.
const { join } = require('node:path');

const ROOT = join(__dirname, '../..');
/** The reference servers Gatehouse is measured against. */
const REFS = join(__dirname, '../refs');

const CONNECTIONS = 10;
const PORT_BASE = Number(process.env.BENCH_PORT_BASE ?? 4500);
const PG_URL =
  process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

const SECRET = 'bench-secret-that-is-long-enough-for-hs256-000000';
/** Lets a scenario read Gatehouse's /metrics (production refuses every scrape without one). */
const METRICS_TOKEN = 'bench-metrics-token-0000000000';
const USER = {
  username: 'bench',
  email: 'bench@example.com',
  password: 'correct horse battery staple',
};
/** Accounts the login scenarios take turns with: the per-account lockout counts attempts in flight, by design. */
const LOGIN_USERS = Array.from({ length: 2 * CONNECTIONS }, (_, i) => ({
  username: `bench${i}`,
  email: `bench${i}@example.com`,
  password: `correct horse battery staple ${i}`,
}));
const PORTS = {
  gatehouse: PORT_BASE + 1,
  bareHs256: PORT_BASE + 2,
  bareEs256: PORT_BASE + 3,
  express: PORT_BASE + 4,
  gatehouseEs256: PORT_BASE + 5,
  gatehousePg: PORT_BASE + 6,
  gatehouseBaseline: PORT_BASE + 7,
  bareLogin: PORT_BASE + 8,
  betterAuth: PORT_BASE + 9,
  betterAuthCache: PORT_BASE + 10,
  gatehouseFlows: PORT_BASE + 20,
  smtpSink: PORT_BASE + 21,
  pgProxy: PORT_BASE + 50,
};

/** The flags described at the top of bench/run.js, with the quick or full mode's defaults filled in. */
function parseOptions(args) {
  const quick = args.includes('--quick');
  const arg = (name) => args.find((a) => a.startsWith(`--${name}=`));
  const value = (name) => arg(name)?.slice(name.length + 3);
  const number = (name) => Number(arg(name)?.split('=')[1]) || undefined;
  const dist = value('dist');
  return {
    quick,
    // The scale scenario (bench/scenarios/scale.js) alone, on its own PostgreSQL databases.
    scale: args.includes('--scale'),
    only: (value('only') ?? 'get,tokens,login,storm,refresh,flows,soak').split(','),
    dist,
    // A build from another directory is run as it is.
    build: !args.includes('--skip-build') && !dist,
    baselineDist: value('baseline'),
    // Pin servers and the load generator to different CPUs where the machine allows (bench/lib/pinning.js).
    pin: !args.includes('--no-pin'),
    // Better Auth as a peer in the protected-GET and login scenarios (bench/lib/better-auth.js).
    peer: !args.includes('--no-peer'),
    rounds: number('rounds') ?? (quick ? 3 : 4),
    seconds: number('seconds') ?? (quick ? 2 : 10),
    warmup: quick ? 1 : 3,
    soakSeconds: quick ? 0 : 60,
  };
}

module.exports = {
  CONNECTIONS,
  LOGIN_USERS,
  METRICS_TOKEN,
  PG_URL,
  PORT_BASE,
  PORTS,
  REFS,
  ROOT,
  SECRET,
  USER,
  parseOptions,
};
