'use strict';
// One autocannon run in a process of its own, so the load generator's CPU is not taken from the servers it measures
// (bench/lib/load.js starts it, pinned to its own CPU with taskset where the machine has one to spare).
// Over IPC it receives { url, connections, seconds, overallRate, spec }, where spec is a serialisable request list
// (see toRequests), sends { started: true } right before the first request and then the reduced result.
const autocannon = require('autocannon');

/**
 * autocannon's request list for a spec. `cycle`: `method path` with fixed `headers`, each request taking the next of
 * `variants` ({ headers?, body? }) in turn. `refresh`: POST `path` chains, each request taking a refresh token from
 * `pool`, its 200 answer putting the new one back (one request in flight per connection, so no two share a token;
 * autocannon resets its per-connection context after every request, so a shared queue is what works).
 */
function toRequests(spec) {
  if (spec.kind === 'cycle') {
    const { method, path, headers = {}, variants } = spec;
    let next = 0;
    if (variants.length === 1)
      return [
        {
          method,
          path,
          headers: { ...headers, ...variants[0].headers },
          body: variants[0].body,
        },
      ];
    return [
      {
        method,
        path,
        headers,
        setupRequest: (req) => {
          const v = variants[next++ % variants.length];
          return {
            ...req,
            headers: { ...req.headers, ...v.headers },
            ...(v.body === undefined ? {} : { body: v.body }),
          };
        },
      },
    ];
  }
  if (spec.kind === 'refresh') {
    const pool = [...spec.pool];
    return [
      {
        method: 'POST',
        path: spec.path,
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
  throw new Error(`load-worker: unknown request spec ${spec.kind}`);
}

function main() {
  process.once('message', (options) => {
    process.send({ started: true });
    autocannon({
      url: options.url,
      connections: options.connections,
      pipelining: 1,
      duration: options.seconds,
      requests: toRequests(options.spec),
      ...(options.overallRate ? { overallRate: options.overallRate } : {}),
    }).then(
      (result) =>
        process.send(
          {
            ok2xx: result['2xx'],
            non2xx: result.non2xx,
            errors: result.errors,
            timeouts: result.timeouts,
            total: result.requests.total,
            duration: result.duration,
            p50: result.latency.p50,
            p99: result.latency.p99,
          },
          () => process.exit(0),
        ),
      (error) => {
        process.stderr.write(`${error.stack ?? error}\n`);
        process.exit(1);
      },
    );
  });
}

if (require.main === module) main();

module.exports = { toRequests };
