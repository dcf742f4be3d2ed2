'use strict';
// Heap bytes per verified-token cache entry, for sizing VERIFIED_TOKEN_CACHE_ENTRIES (docs/performance.md).
// `npm run build && node --expose-gc bench/verified-token-cache-memory.js [entries]`. Each entry is made the way a
// request makes it: a token signed like Gatehouse's (own user, session and jti), sent as an Authorization header,
// taken out by passport-jwt's extractor and verified by the real AccessTokenVerifier (HS256); then the token and the
// header are dropped, so the heap keeps only what the cache holds. Heap used after a full GC, before and after.
require('reflect-metadata');
const { createSecretKey, randomUUID } = require('node:crypto');
const { join } = require('node:path');
const { createSigner } = require('fast-jwt');
const { ExtractJwt } = require('passport-jwt');

if (typeof global.gc !== 'function')
  throw new Error('run with node --expose-gc');
const entries = Number(process.argv[2] ?? 50_000);
const { AccessTokenVerifier } = require(
  join(__dirname, '../dist/keys/access-token-verifier.js'),
);

const secret = 'bench-secret-that-is-long-enough-for-hs256-000000';
const key = createSecretKey(Buffer.from(secret));
const signingKey = {
  kid: 'hs-0123456789abcdef',
  alg: 'HS256',
  signingKey: key,
  verificationKey: key,
};
const verifier = new AccessTokenVerifier(
  { findKey: (kid) => (kid === signingKey.kid ? signingKey : undefined) },
  { isRevoked: () => false },
  { nowSeconds: () => Math.floor(Date.now() / 1000) },
  {
    issuer: 'gatehouse',
    audience: 'gatehouse',
    clockToleranceSeconds: 5,
    verifiedTokenCacheEntries: entries,
  },
);
const sign = createSigner({
  key: secret,
  algorithm: 'HS256',
  typ: 'at+jwt',
  kid: signingKey.kid,
});
const extract = ExtractJwt.fromAuthHeaderAsBearerToken();

function heapAfterGc() {
  global.gc();
  global.gc();
  return process.memoryUsage().heapUsed;
}

const before = heapAfterGc();
const now = Math.floor(Date.now() / 1000);
for (let i = 0; i < entries; i += 1) {
  const token = sign({
    iss: 'gatehouse',
    aud: 'gatehouse',
    sub: randomUUID(),
    sid: randomUUID(),
    jti: randomUUID(),
    iat: now,
    exp: now + 900,
    username: `user${i}@example.com`,
    roles: ['user'],
    token_version: 0,
    amr: ['pwd'],
    auth_time: now,
  });
  // As the HTTP parser hands it over: a header value string, then the extractor's match.
  const header = Buffer.from(`Bearer ${token}`).toString('latin1');
  const verdict = verifier.verify(
    extract({ headers: { authorization: header } }),
  );
  if (typeof verdict === 'string') throw new Error(`token ${i}: ${verdict}`);
}
const after = heapAfterGc();
const stats = verifier.cacheStats();
if (stats.entries !== entries)
  throw new Error(`cache holds ${stats.entries}, expected ${entries}`);
process.stdout.write(
  `${entries} entries: heap +${((after - before) / 1048576).toFixed(1)} MiB, ${Math.round((after - before) / entries)} bytes per entry\n`,
);
