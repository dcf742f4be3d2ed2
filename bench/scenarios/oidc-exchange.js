'use strict';
// POST /auth/oidc/exchange (issue 21, "New flows"): the last step of a sign-in through an external provider, on the
// PostgreSQL instance. Each timed request trades one fresh one-time code for a token pair.
//
// The codes are written into oidc_exchange_codes with SQL, exactly as the callback stores them (the SHA-256 of a
// random 32-byte code, base64url; 30 s to live; the bench user; no MFA), just before each round. Minting them through
// a real provider sign-in would measure the provider and the browser round trips, not Gatehouse; the exchange
// itself reads only the code row and the user, so it does the same work either way. Any non-2xx fails the scenario.
const { createHash, randomBytes } = require('node:crypto');
const { URL } = require('node:url');
const { Client } = require('pg');
const { measure } = require('./flows');
const { interleave } = require('../lib/load');
const { PG_URL } = require('../lib/options');
const { log, int, summarize } = require('../lib/report');

const SIZES = { quick: 300, full: 2000 };
const WARMUP = 100;

const subOf = (token) =>
  JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()).sub;

/** `count` codes for `userId`, stored as the callback stores them; the codes themselves, for the request bodies. */
async function mintCodes(db, userId, count) {
  const codes = Array.from({ length: count }, () =>
    randomBytes(32).toString('base64url'),
  );
  const hashes = codes.map((c) =>
    createHash('sha256').update(c).digest('base64url'),
  );
  await db.query(
    `insert into oidc_exchange_codes (code_hash, user_id, provider, mfa_trusted, created_at, expires_at)
     select h, $2, 'bench', false, now(), now() + interval '30 seconds' from unnest($1::text[]) as h`,
    [hashes, userId],
  );
  return codes;
}

async function run(bench) {
  if (!bench.pg) {
    log('scenario: OIDC exchange skipped (no PostgreSQL instance)');
    return { rows: [], targets: [], scenarios: {} };
  }
  log('scenario: OIDC code exchange (PostgreSQL)…');
  const { server, db, tokens } = bench.pg;
  const url = new URL(PG_URL);
  url.pathname = `/${db.name}`;
  const client = new Client({ connectionString: url.href });
  await client.connect();
  try {
    const userId = subOf(tokens.access_token);
    const size = bench.options.quick ? SIZES.quick : SIZES.full;
    const round = async (count = size) => {
      const codes = await mintCodes(client, userId, count);
      return measure({
        port: server.port,
        server,
        path: '/auth/oidc/exchange',
        bodies: codes.map((code) => {
          const text = JSON.stringify({ code });
          return () => text;
        }),
      });
    };
    await round(WARMUP);
    const item = { id: 'oidcExchange' };
    const results = await interleave(bench.options.rounds, [item], async () => {
      const result = await round();
      log(
        `  oidc exchange: ${int(result.rps)} req/s, ${int(result.cpuUs)} µs CPU/req, ${result.non2xx} non-2xx`,
      );
      return result;
    });
    const rounds = results.get(item);
    const summary = { ...summarize(rounds), rssMb: server.rssMb() };
    const failed = summary.non2xx || summary.errors;
    if (failed) process.exitCode = 1;
    return {
      rows: [
        {
          scenario: 'POST /auth/oidc/exchange (one-time code → tokens)',
          server: 'Gatehouse, PostgreSQL',
          ...summary,
          note: `${size} codes/round`,
        },
      ],
      targets: [
        {
          target: 'OIDC exchange: every code exchanged (2xx)',
          measured: failed
            ? `${summary.non2xx} non-2xx, ${summary.errors} errors`
            : 'yes',
          verdict: failed ? 'FAILED' : 'met',
        },
      ],
      scenarios: { oidcExchange: { size, rounds, summary } },
    };
  } finally {
    await client.end();
  }
}

module.exports = { run };
