'use strict';
// The side-by-side table: Gatehouse, Better Auth, the NestJS tutorial set-up and the bare limits, one row each, from
// the protected-GET and login scenarios of the same run (medians those scenarios computed).
const { int, ratio } = require('./report');

const ROWS = [
  ['Gatehouse (PGlite, HS256)', 'gh', 'login', 'argon2'],
  ['Gatehouse (PostgreSQL, HS256)', 'ghPg', 'loginPg', 'argon2'],
  ['Better Auth 1.7 (PostgreSQL, defaults)', 'ba', 'betterAuth', 'scrypt'],
  ['Better Auth 1.7 (PostgreSQL, cookie cache on)', 'baCache'],
  ['NestJS tutorial set-up (Express, passport-jwt)', 'express'],
  [
    'bare limit: node:http + fast-jwt / + one argon2id verify',
    'bare',
    'ceiling',
    'argon2',
  ],
];

/** The table's rows, or [] when neither scenario ran. */
function peerRows(scenarios) {
  const gets = Object.fromEntries(
    (scenarios.protectedGet?.servers ?? []).map((s) => [s.key, s.summary]),
  );
  const logins = scenarios.login?.summaries ?? {};
  const bare = gets.bare;
  return ROWS.map(([server, getKey, loginKey, hashKey]) => {
    const get = gets[getKey];
    const login = logins[loginKey];
    const hash = logins[hashKey];
    return {
      server,
      getCpuUs: get?.cpuUs,
      getDbCpuUs: get?.dbCpuUs,
      getRps: get?.rps,
      getVsBareCpu: get && bare ? bare.cpuUs / get.cpuUs : undefined,
      getVsBareRps: get && bare ? get.rps / bare.rps : undefined,
      loginRps: login?.rps,
      loginVsHash: login && hash ? login.rps / hash.rps : undefined,
      loginCpuUs: login?.cpuUs,
      hashCpuUs: hash?.cpuUs,
      hash: hashKey,
    };
  }).filter((r) => r.getRps !== undefined || r.loginRps !== undefined);
}

function peersTable(rows) {
  const lines = rows.map((r) =>
    [
      r.server,
      int(r.getCpuUs),
      int(r.getDbCpuUs),
      int(r.getRps),
      `${ratio(r.getVsBareCpu)} / ${ratio(r.getVsBareRps)}`,
      int(r.loginRps),
      r.hash ? `${ratio(r.loginVsHash)} raw ${r.hash}` : '–',
      int(r.loginCpuUs),
      int(r.hashCpuUs),
    ].join(' | '),
  );
  return [
    '| server | GET CPU µs/req | GET DB CPU µs/req | GET req/s | GET vs bare (CPU / req/s) | sign-ins/s | sign-ins ÷ raw hash rate | sign-in CPU µs | raw hash CPU µs/op |',
    '|---|---|---|---|---|---|---|---|---|',
    ...lines.map((l) => `| ${l} |`),
  ].join('\n');
}

module.exports = { peerRows, peersTable };
