'use strict';
// autocannon runs (programmatic API, keep-alive connections) reduced to the numbers the report needs, and the
// interleaved rounds they are taken in.
const autocannon = require('autocannon');
const { HOST } = require('./servers');

/**
 * One load run; with `server`, also the server's CPU time per request. `requests` is autocannon's request list (method, path, headers, body, setupRequest, onResponse).
 * Throughput counts 2xx answers only, so an error page can never look fast.
 */
async function load({
  port,
  seconds,
  connections = 10,
  requests,
  overallRate,
  server,
}) {
  const cpuBefore = server?.cpuSeconds();
  const result = await autocannon({
    url: `http://${HOST}:${port}`,
    connections,
    pipelining: 1,
    duration: seconds,
    requests,
    ...(overallRate ? { overallRate } : {}),
  });
  return {
    rps: result['2xx'] / result.duration,
    ok: result['2xx'],
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
    p50: result.latency.p50,
    p99: result.latency.p99,
    seconds: result.duration,
    // Server CPU time per answered request, in microseconds (all requests, since errors cost CPU too).
    cpuUs: server
      ? ((server.cpuSeconds() - cpuBefore) * 1e6) /
        Math.max(1, result.requests.total)
      : undefined,
  };
}

const bearer = (token) => ({ authorization: `Bearer ${token}` });

/** GET `path` with one token, or with tokens taken in turn from `tokens`. */
function getRequests(path, tokens) {
  if (typeof tokens === 'string')
    return [{ method: 'GET', path, headers: bearer(tokens) }];
  let next = 0;
  return [
    {
      method: 'GET',
      path,
      setupRequest: (req) => ({
        ...req,
        headers: bearer(tokens[next++ % tokens.length]),
      }),
    },
  ];
}

/** POST /auth/login for `users` in turn: one account never has many attempts in flight (the lockout counts them). */
function loginRequests(users) {
  let next = 0;
  return [
    {
      method: 'POST',
      path: '/auth/login',
      headers: { 'content-type': 'application/json' },
      setupRequest: (req) => {
        const user = users[next++ % users.length];
        return {
          ...req,
          body: JSON.stringify({
            username: user.username,
            password: user.password,
          }),
        };
      },
    },
  ];
}

/**
 * POST /auth/refresh chains. A refresh token is single-use, so each request takes a token from `pool` and its answer
 * puts the new one back: with one request in flight per connection, no two requests ever share a token.
 * (autocannon resets its per-connection context after every request, so a shared queue is what works.)
 */
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

/** Runs `fn(item, round)` for every item, round after round, rotating who goes first to spread drift evenly. */
async function interleave(rounds, items, fn) {
  const results = new Map(items.map((item) => [item, []]));
  for (let round = 0; round < rounds; round += 1) {
    const order = items.map((_, i) => items[(i + round) % items.length]);
    for (const item of order) results.get(item).push(await fn(item, round));
  }
  return results;
}

module.exports = {
  load,
  interleave,
  getRequests,
  loginRequests,
  refreshRequests,
};
