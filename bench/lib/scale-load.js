'use strict';
// The requests of the scale scenario: autocannon runs (for a duration, a fixed number of requests, or until told to
// stop) and the pools of tokens they take from.
const autocannon = require('autocannon');
const { request, HOST } = require('./servers');

const CONNECTIONS = 10;

/** One autocannon run; `until` (a promise) ends it early. Throughput counts 2xx answers only. */
async function run({ server, requests, seconds, amount, until, window }) {
  const cpuBefore = server.cpuSeconds();
  const started = process.hrtime.bigint();
  const instance = autocannon({
    url: `http://${HOST}:${server.port}`,
    connections: CONNECTIONS,
    pipelining: 1,
    ...(amount ? { amount } : { duration: seconds }),
    requests,
  });
  if (until) void until.then(() => instance.stop());
  const result = await instance;
  // autocannon's own duration is whole seconds: too coarse for a run of a fixed number of requests.
  const elapsed =
    Number(
      window?.last
        ? window.last - window.first
        : process.hrtime.bigint() - started,
    ) / 1e9;
  return {
    rps: result['2xx'] / elapsed,
    ok: result['2xx'],
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
    p50: result.latency.p50,
    p99: result.latency.p99,
    seconds: elapsed,
    cpuUs:
      ((server.cpuSeconds() - cpuBefore) * 1e6) /
      Math.max(1, result.requests.total),
  };
}

const bearer = (token) => ({ authorization: `Bearer ${token}` });

/** GET /auth/me with the tokens in turn. */
function meRequests(tokens) {
  let next = 0;
  return [
    {
      method: 'GET',
      path: '/auth/me',
      setupRequest: (req) => ({
        ...req,
        headers: bearer(tokens[next++ % tokens.length]),
      }),
    },
  ];
}

/**
 * POST /auth/logout, each access token once (each ends its session). `window` gets the times of the first request
 * and the last answer: autocannon ends a run of a fixed number of requests on its one-second tick, not when the
 * last answer arrives, so its duration (and a wall clock around it) would round the rate down.
 */
function logoutRequests(tokens, window) {
  let next = 0;
  return [
    {
      method: 'POST',
      path: '/auth/logout',
      setupRequest: (req) => {
        window.first ??= process.hrtime.bigint();
        return { ...req, headers: bearer(tokens[next++]) };
      },
      onResponse: () => {
        window.last = process.hrtime.bigint();
      },
    },
  ];
}

/** POST /auth/login for the users in turn, so one account never has many attempts in flight (lockout). */
function loginRequests(usernames, password) {
  let next = 0;
  return [
    {
      method: 'POST',
      path: '/auth/login',
      headers: { 'content-type': 'application/json' },
      setupRequest: (req) => ({
        ...req,
        body: JSON.stringify({
          username: usernames[next++ % usernames.length],
          password,
        }),
      }),
    },
  ];
}

/** Refresh chains: each answer puts its new refresh token back in the pool (see bench/lib/load.js). */
function refreshRequests(pool) {
  return [
    {
      method: 'POST',
      path: '/auth/refresh',
      headers: { 'content-type': 'application/json' },
      setupRequest: (req) => ({
        ...req,
        body: JSON.stringify({ refresh_token: pool.shift() ?? 'pool-empty' }),
      }),
      onResponse: (status, body) => {
        if (status === 200) pool.push(JSON.parse(body).refresh_token);
      },
    },
  ];
}

/** Refreshes each token once, CONNECTIONS at a time: answers the new pairs (access and refresh token). */
async function refreshAll(port, refreshTokens) {
  const pairs = new Array(refreshTokens.length);
  let next = 0;
  async function worker() {
    while (next < refreshTokens.length) {
      const i = next++;
      const res = await request(port, 'POST', '/auth/refresh', {
        body: { refresh_token: refreshTokens[i] },
      });
      if (res.status !== 200)
        throw new Error(`refresh on ${port}: ${res.status} ${res.text}`);
      pairs[i] = res.json;
    }
  }
  await Promise.all(Array.from({ length: CONNECTIONS }, worker));
  return pairs;
}

module.exports = {
  CONNECTIONS,
  loginRequests,
  logoutRequests,
  meRequests,
  refreshAll,
  refreshRequests,
  run,
};
