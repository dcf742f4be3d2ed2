'use strict';
// The heap one revocation costs in Gatehouse's in-process set: the build's RevocationService is given the live
// rows of the database (read with pg, as the app's repository would return them) and reloads them; the heap is
// measured after a full GC before the rows are read and after they are applied and released. Run with --expose-gc.
// Args: <dist> <database url> <access-token lifetime in seconds>. Prints { entries, heapBytes, bytesPerEntry }.
require('reflect-metadata');
const { join } = require('node:path');
const { Client } = require('pg');

async function liveRows(url) {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query(
      'select kind, subject_id, not_before, min_token_version, keep_until from revocations where keep_until > now()',
    );
    return rows.map((r) => ({
      kind: r.kind,
      subjectId: r.subject_id,
      notBefore: r.not_before,
      minTokenVersion: r.min_token_version,
      keepUntil: r.keep_until,
    }));
  } finally {
    await client.end();
  }
}

function heapAfterGc() {
  for (let i = 0; i < 3; i += 1) global.gc();
  return process.memoryUsage().heapUsed;
}

async function main() {
  const [dist, url, ttl] = process.argv.slice(2);
  const { RevocationService } = require(
    join(dist, 'revocation/revocation.service'),
  );
  let rows;
  const service = new RevocationService(
    { findLive: () => Promise.resolve(rows) },
    {},
    { now: () => new Date() },
    { accessTtlSeconds: Number(ttl), clockToleranceSeconds: 5 },
    {},
  );
  // Warm the pg client's own allocations (type parsers, protocol buffers) so they do not count as the set's.
  await liveRows(url).then((r) => r.length);
  const before = heapAfterGc();
  rows = await liveRows(url);
  await service.reload();
  rows = undefined;
  const after = heapAfterGc();
  const { sessions, users } = service.size;
  const entries = sessions + users;
  process.stdout.write(
    JSON.stringify({
      entries,
      sessions,
      users,
      heapBytes: after - before,
      bytesPerEntry: (after - before) / entries,
    }),
  );
}

main().catch((error) => {
  process.stderr.write(`${error.stack}\n`);
  process.exit(1);
});
