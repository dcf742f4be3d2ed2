'use strict';
// Reference: the least a JWT-protected route can cost in Node: node:http plus a fast-jwt verifier built once.
// BENCH_ALG=HS256 verifies with BENCH_SECRET; BENCH_ALG=ES256 with the PEM public key in BENCH_PUBLIC_KEY.
const http = require('node:http');
const { createVerifier } = require('fast-jwt');
const { sendJson } = require('../lib/send-json');

const alg = process.env.BENCH_ALG || 'HS256';
const key =
  alg === 'HS256' ? process.env.BENCH_SECRET : process.env.BENCH_PUBLIC_KEY;
if (!key) throw new Error(`bare-fastjwt: missing key for ${alg}`);

const verify = createVerifier({
  key,
  algorithms: [alg],
  allowedIss: process.env.BENCH_ISSUER || 'gatehouse',
  allowedAud: process.env.BENCH_AUDIENCE || 'gatehouse',
  clockTolerance: 5000,
  cache: false,
});

http
  .createServer((req, res) => {
    if (req.method !== 'GET' || req.url !== '/auth/me')
      return sendJson(res, 404, { status: 404 });
    const header = req.headers.authorization;
    if (!header || !header.startsWith('Bearer '))
      return sendJson(res, 401, { status: 401 });
    try {
      const claims = verify(header.slice(7));
      sendJson(res, 200, {
        id: claims.sub,
        username: claims.username,
        roles: claims.roles,
      });
    } catch {
      sendJson(res, 401, { status: 401 });
    }
  })
  .listen(Number(process.env.PORT), process.env.HOST || '127.0.0.1');
