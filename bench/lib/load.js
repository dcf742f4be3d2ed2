'use strict';
// autocannon runs (keep-alive connections) reduced to the numbers the report needs, and the interleaved rounds they
// are taken in. Each run is a child process of its own (load-worker.js) on the load generator's CPU, so the servers'
// CPU is theirs alone where the machine has a CPU to spare (bench/lib/pinning.js).
const autocannon = require('autocannon');
const { join } = require('node:path');
const { HOST, spawnNode } = require('./servers');

/** Runs load-worker.js with `options`; calls `onStart` just before its first request. */
function runWorker(options, onStart) {
  return new Promise((resolve, reject) => {
    const child = spawnNode(
      join(__dirname, 'load-worker.js'),
      [],
      { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] },
      'load',
    );
    let result;
    child.on('message', (message) => {
      if (message.started) onStart();
      else result = message;
    });
    child.once('error', reject);
    child.once('exit', (code) =>
      result
        ? resolve(result)
        : reject(new Error(`load worker exited ${code} without a result`)),
    );
    child.send(options);
  });
}

/**
 * A request list given as autocannon's own (with functions, which cannot cross a process boundary) runs in this
 * process, as every run did before the worker existed; `generator` in the result says which it was.
 */
async function inProcess(options, onStart) {
  onStart();
  const result = await autocannon({
    url: options.url,
    connections: options.connections,
    pipelining: 1,
    duration: options.seconds,
    requests: options.requests,
    ...(options.overallRate ? { overallRate: options.overallRate } : {}),
  });
  return {
    ok2xx: result['2xx'],
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    total: result.requests.total,
    duration: result.duration,
    p50: result.latency.p50,
    p99: result.latency.p99,
  };
}

/**
 * One load run; with `server`, also the server's CPU time per request (and with `dbCpu`, a function answering the
 * CPU seconds of the server's database backends, theirs too). `requests` is a spec from the builders below, or an
 * autocannon request list. Throughput counts 2xx answers only, so an error page can never look fast.
 */
async function load({
  port,
  seconds,
  connections = 10,
  requests,
  overallRate,
  server,
  dbCpu,
}) {
  let cpuBefore;
  let dbBefore;
  const onStart = () => {
    cpuBefore = server?.cpuSeconds();
    dbBefore = dbCpu?.before();
  };
  const options = {
    url: `http://${HOST}:${port}`,
    connections,
    seconds,
    overallRate,
  };
  await dbCpu?.refresh();
  const external = !Array.isArray(requests);
  const result = external
    ? await runWorker({ ...options, spec: requests }, onStart)
    : await inProcess({ ...options, requests }, onStart);
  const cpuAfter = server?.cpuSeconds();
  const requestsTotal = Math.max(1, result.total);
  // Server CPU time per request, in microseconds (all requests, since errors cost CPU too).
  const cpuUs = server
    ? ((cpuAfter - cpuBefore) * 1e6) / requestsTotal
    : undefined;
  const dbCpuUs = dbCpu
    ? ((await dbCpu.after(dbBefore)) * 1e6) / requestsTotal
    : undefined;
  return {
    rps: result.ok2xx / result.duration,
    ok: result.ok2xx,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
    p50: result.p50,
    p99: result.p99,
    seconds: result.duration,
    cpuUs,
    dbCpuUs,
    generator: external ? 'own process' : 'in-process',
  };
}

/** `method path`, each request taking the next of `variants` ({ headers?, body? }) in turn. */
function cycleRequests(method, path, variants, headers = {}) {
  return { kind: 'cycle', method, path, headers, variants };
}

const bearer = (token) => ({ authorization: `Bearer ${token}` });

/** GET `path` with one token, or with tokens taken in turn from `tokens`. */
function getRequests(path, tokens) {
  const list = typeof tokens === 'string' ? [tokens] : tokens;
  return cycleRequests(
    'GET',
    path,
    list.map((t) => ({ headers: bearer(t) })),
  );
}

/** POST `path` with JSON `bodies` in turn. */
function postJsonRequests(path, bodies) {
  return cycleRequests(
    'POST',
    path,
    bodies.map((b) => ({ body: JSON.stringify(b) })),
    { 'content-type': 'application/json' },
  );
}

/** POST /auth/login for `users` in turn: one account never has many attempts in flight (the lockout counts them). */
function loginRequests(users) {
  return postJsonRequests(
    '/auth/login',
    users.map((u) => ({ username: u.username, password: u.password })),
  );
}

/**
 * POST /auth/refresh chains from the refresh tokens in `pool` (a copy goes to the load worker, which keeps the chain:
 * see its toRequests).
 */
function refreshRequests(pool) {
  return { kind: 'refresh', path: '/auth/refresh', pool };
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
  cycleRequests,
  getRequests,
  postJsonRequests,
  loginRequests,
  refreshRequests,
};
