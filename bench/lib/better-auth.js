'use strict';
// Better Auth as a peer (bench/refs/better-auth/): its own package, installed on demand with `npm ci` when its
// node_modules is missing, two instances (its defaults, and its cookie cache on) on one throwaway PostgreSQL
// database, the accounts the scenarios use signed up and signed in on each, and its raw scrypt rate.
const { spawnSync } = require('node:child_process');
const { existsSync } = require('node:fs');
const { join } = require('node:path');
const { CONNECTIONS, LOGIN_USERS, PORTS, REFS, USER } = require('./options');
const { createThrowawayDatabase, databaseCpu } = require('./postgres');
const { log } = require('./report');
const { request, spawnNode } = require('./servers');

const DIR = join(REFS, 'better-auth');
const SECRET = 'bench-better-auth-secret-long-enough-0000000000';

/**
 * A plain `npm ci` works here: none of better-auth's optional peer dependencies (React, Next, drizzle-kit, …) is in
 * this package, so nothing conflicts with them. In the root project they do (ERESOLVE), hence the package of its own.
 */
function ensureInstalled() {
  if (existsSync(join(DIR, 'node_modules/better-auth/package.json'))) return;
  log('installing Better Auth (npm ci --prefix bench/refs/better-auth)…');
  const result = spawnSync(
    'npm',
    ['ci', '--prefix', DIR, '--no-audit', '--no-fund'],
    { stdio: 'inherit' },
  );
  if (result.status !== 0) throw new Error('npm ci for Better Auth failed');
}

/** Every `name=value` its answer sets, as one Cookie header. */
function cookieHeader(res) {
  return (res.headers['set-cookie'] ?? [])
    .map((c) => c.split(';')[0])
    .join('; ');
}

/** The bench's accounts as Better Auth's sign-in body: the email, since email+password signs in by email. */
const signInBody = (user) => ({ email: user.email, password: user.password });

async function signUp(port, user) {
  const res = await request(port, 'POST', '/api/auth/sign-up/email', {
    body: { name: user.username, ...signInBody(user) },
  });
  if (res.status !== 200)
    throw new Error(`Better Auth sign-up: ${res.status} ${res.text}`);
}

async function signIn(port, user) {
  const res = await request(port, 'POST', '/api/auth/sign-in/email', {
    body: signInBody(user),
  });
  if (res.status !== 200)
    throw new Error(`Better Auth sign-in: ${res.status} ${res.text}`);
  return cookieHeader(res);
}

/**
 * Starts both instances with `start` (setup.js's), answering { servers, signIn, signInBodies, dbCpu }, or
 * { skipped: reason } (also logged) when Better Auth cannot run here. `cleanups` gets the database's drop.
 */
async function startBetterAuth(start, cleanups) {
  try {
    ensureInstalled();
    const db = await createThrowawayDatabase('better_auth_bench');
    cleanups.push(db.drop);
    const env = (extra) => ({
      NODE_ENV: 'production',
      DATABASE_URL: `postgres://${db.user}@127.0.0.1:${db.port}/${db.name}`,
      BETTER_AUTH_SECRET: SECRET,
      ...extra,
    });
    const script = join(DIR, 'server.mjs');
    // One after the other: the first creates the schema, the second finds it there.
    const defaults = await start({
      name: 'better-auth',
      script,
      port: PORTS.betterAuth,
      env: env({ BENCH_MIGRATE: 'on' }),
      cwd: DIR,
    });
    const cached = await start({
      name: 'better-auth-cookie-cache',
      script,
      port: PORTS.betterAuthCache,
      env: env({ BENCH_COOKIE_CACHE: 'on' }),
      cwd: DIR,
    });
    await signUp(PORTS.betterAuth, USER);
    for (let i = 0; i < LOGIN_USERS.length; i += 4)
      await Promise.all(
        LOGIN_USERS.slice(i, i + 4).map((u) => signUp(PORTS.betterAuth, u)),
      );
    const cachedCookie = await signIn(PORTS.betterAuthCache, USER);
    if (!cachedCookie.includes('session_data'))
      throw new Error(
        `cookie cache on but no session_data cookie: ${cachedCookie}`,
      );
    return {
      servers: { defaults, cached },
      // A fresh session cookie (a new sign-in) on each instance.
      signIn: {
        defaults: () => signIn(PORTS.betterAuth, USER),
        cached: () => signIn(PORTS.betterAuthCache, USER),
      },
      signInBodies: LOGIN_USERS.map(signInBody),
      dbCpu: await databaseCpu(db.name, (close) => cleanups.push(close)),
    };
  } catch (error) {
    log(`Better Auth skipped: ${error.message}`);
    return { skipped: error.message };
  }
}

/** scrypt-rate.mjs's answer: `CONNECTIONS` Better Auth verifications in flight for `seconds`. */
function scryptRate(seconds) {
  return new Promise((resolve, reject) => {
    const child = spawnNode(
      join(DIR, 'scrypt-rate.mjs'),
      [seconds, CONNECTIONS],
      { cwd: DIR, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    child.stdout.on('data', (c) => (out += c));
    child.on('exit', (code) =>
      code === 0
        ? resolve(JSON.parse(out))
        : reject(new Error(`scrypt-rate exited ${code}`)),
    );
  });
}

module.exports = { startBetterAuth, scryptRate };
