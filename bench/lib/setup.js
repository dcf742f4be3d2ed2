'use strict';
// What the scenarios share: the build under test, the servers started once for the whole run with an account on
// each, and the clean-up that stops them (also on Ctrl-C, half-way through).
const { spawnSync } = require('node:child_process');
const { generateKeyPairSync } = require('node:crypto');
const { existsSync, mkdirSync, mkdtempSync, rmSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const { registerAndLogin, registerLoginUsers } = require('./accounts');
const { startBetterAuth } = require('./better-auth');
const { configurePinning } = require('./pinning');
const {
  METRICS_TOKEN,
  PORT_BASE,
  PORTS,
  REFS,
  ROOT,
  SECRET,
} = require('./options');
const {
  createThrowawayDatabase,
  databaseCpu,
  startProxy,
} = require('./postgres');
const { log } = require('./report');
const { startServer } = require('./servers');

/** Every server started, in the order they answered: the report ends with the RSS of each. */
const running = [];
const cleanups = [];

function gatehouseEnv(dataDir, extra = {}) {
  return {
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    LOG_FORMAT: 'json',
    JWT_SECRET: SECRET,
    METRICS_TOKEN,
    JWT_ACCESS_TTL: '1h',
    DATABASE_URL: 'pglite://memory',
    DATA_DIR: dataDir,
    // The benchmark is one client address hammering login and refresh; the rate limit is not what is measured.
    RATE_LIMIT_MAX: '1000000',
    // No mail and no passkeys are measured; production would otherwise need SMTP_URL, APP_URL and WEBAUTHN_*.
    EMAIL_FEATURES: 'off',
    PASSKEYS: 'off',
    ...extra,
  };
}

/** Starts a server (see startServer) that is stopped at clean-up and reported on at the end. */
async function start(options) {
  const server = await startServer({ cwd: ROOT, ...options });
  running.push(server);
  return server;
}

function build() {
  log('building Gatehouse (npm run build)…');
  const result = spawnSync('npm', ['run', 'build'], {
    cwd: ROOT,
    stdio: 'inherit',
  });
  if (result.status !== 0) throw new Error('npm run build failed');
}

/** The build's password service module, so the raw rate uses exactly the argon2 options Gatehouse hashes with. */
function passwordServiceModule(dist) {
  const file = ['passwords/password.service.js', 'auth/password.service.js']
    .map((f) => join(dist, f))
    .find(existsSync);
  if (!file) throw new Error(`password.service.js not found in ${dist}`);
  return file;
}

/** A fresh DATA_DIR per Gatehouse instance, all under one temporary folder removed at clean-up. */
function dataDirs() {
  const root = mkdtempSync(join(tmpdir(), 'gatehouse-bench-'));
  cleanups.push(() => rmSync(root, { recursive: true, force: true }));
  return (name) => {
    const dir = join(root, name);
    mkdirSync(dir);
    return dir;
  };
}

/** Gatehouse on a throwaway PostgreSQL database behind the counting proxy, or undefined without PostgreSQL. */
async function startOnPostgres(script, dataDir) {
  try {
    const db = await createThrowawayDatabase();
    cleanups.push(db.drop);
    const proxy = await startProxy(PORTS.pgProxy, db.port, (stop) =>
      cleanups.push(stop),
    );
    const server = await start({
      name: 'gatehouse-pg',
      script,
      port: PORTS.gatehousePg,
      env: gatehouseEnv(dataDir('pg'), {
        DATABASE_URL: `postgres://${db.user}@127.0.0.1:${PORTS.pgProxy}/${db.name}`,
      }),
    });
    return {
      server,
      proxy,
      db,
      dbCpu: await databaseCpu(db.name, (close) => cleanups.push(close)),
      tokens: await registerAndLogin(PORTS.gatehousePg),
    };
  } catch (error) {
    log(`PostgreSQL scenarios skipped: ${error.message}`);
    return undefined;
  }
}

/** Builds (unless told not to), starts every server the scenarios compare, and registers their accounts. */
async function setUp(options) {
  const dist = options.dist ?? join(ROOT, 'dist');
  const pinning = configurePinning(options.pin);
  log(pinning.note);
  if (options.build) build();
  const passwordModule = passwordServiceModule(dist);
  const dataDir = dataDirs();
  const es = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const esPrivatePem = es.privateKey.export({ type: 'pkcs8', format: 'pem' });
  const esPublicPem = es.publicKey.export({ type: 'spki', format: 'pem' });

  log(`starting servers on 127.0.0.1:${PORT_BASE + 1}-${PORT_BASE + 6}…`);
  const gatehouseScript = join(dist, 'main.js');
  const [gatehouse, bareHs, bareEs, express, gatehouseEs] = await Promise.all([
    start({
      name: 'gatehouse',
      script: gatehouseScript,
      port: PORTS.gatehouse,
      env: gatehouseEnv(dataDir('hs')),
    }),
    start({
      name: 'bare-hs256',
      script: join(REFS, 'bare-fastjwt.js'),
      port: PORTS.bareHs256,
      env: { BENCH_ALG: 'HS256', BENCH_SECRET: SECRET },
    }),
    start({
      name: 'bare-es256',
      script: join(REFS, 'bare-fastjwt.js'),
      port: PORTS.bareEs256,
      env: { BENCH_ALG: 'ES256', BENCH_PUBLIC_KEY: esPublicPem },
    }),
    start({
      name: 'express',
      script: join(REFS, 'express-passport-string-secret.js'),
      port: PORTS.express,
      env: { BENCH_SECRET: SECRET },
    }),
    start({
      name: 'gatehouse-es256',
      script: gatehouseScript,
      port: PORTS.gatehouseEs256,
      env: gatehouseEnv(dataDir('es'), {
        JWT_ALGORITHM: 'ES256',
        JWT_PRIVATE_KEY: esPrivatePem,
      }),
    }),
  ]);

  let baseline;
  if (options.baselineDist) {
    const server = await start({
      name: 'gatehouse-baseline',
      script: join(options.baselineDist, 'main.js'),
      port: PORTS.gatehouseBaseline,
      env: gatehouseEnv(dataDir('baseline')),
    });
    baseline = {
      server,
      tokens: await registerAndLogin(PORTS.gatehouseBaseline),
    };
  }
  const pg = await startOnPostgres(gatehouseScript, dataDir);

  const tokens = await registerAndLogin(PORTS.gatehouse);
  await registerLoginUsers(PORTS.gatehouse);
  if (pg) await registerLoginUsers(PORTS.gatehousePg);
  const esTokens = await registerAndLogin(PORTS.gatehouseEs256);
  const wantsPeer =
    options.peer && ['get', 'login'].some((s) => options.only.includes(s));
  let betterAuth;
  if (wantsPeer)
    betterAuth = pg
      ? await startBetterAuth(start, cleanups)
      : { skipped: 'PostgreSQL unreachable' };
  return {
    options,
    pinning,
    betterAuth,
    passwordModule,
    start,
    servers: { gatehouse, bareHs, bareEs, express, gatehouseEs },
    baseline,
    pg,
    tokens,
    esTokens,
    esPrivatePem,
    running,
    dataDir,
    onCleanUp: (fn) => cleanups.push(fn),
  };
}

async function cleanUp() {
  await Promise.all(running.map((s) => s.stop()));
  for (const fn of cleanups.reverse())
    await Promise.resolve(fn()).catch((e) => log(`cleanup: ${e.message}`));
}

module.exports = { setUp, cleanUp, gatehouseEnv };
