'use strict';
// Reference: the most logins a Node server can answer on this machine: node:http, JSON bodies and one argon2id
// verify per login at Gatehouse's parameters, on libuv's thread pool. No database, no token: its rate over the raw
// hash rate is the ceiling any login with real work stays under. BENCH_PASSWORD_MODULE is the build's
// password.service.js, whose ARGON2_OPTIONS are used (as bench/lib/argon2-rate.js does).
require('reflect-metadata');
const http = require('node:http');
const { randomBytes } = require('node:crypto');
const { hash, verify } = require('@node-rs/argon2');

const options = require(process.env.BENCH_PASSWORD_MODULE).ARGON2_OPTIONS;
const { sendJson } = require('../lib/send-json');
const hashes = new Map();

async function handle(req, body) {
  const { username, password } = JSON.parse(body);
  if (typeof username !== 'string' || typeof password !== 'string')
    return [400, { status: 400 }];
  if (req.url === '/auth/register') {
    hashes.set(username, await hash(password, options));
    return [201, { username }];
  }
  const stored = hashes.get(username);
  if (!stored || !(await verify(stored, password)))
    return [401, { status: 401 }];
  // About the size of Gatehouse's answer, without the work of making it.
  return [
    200,
    {
      access_token: randomBytes(240).toString('base64url'),
      token_type: 'Bearer',
      expires_in: 900,
      refresh_token: randomBytes(32).toString('base64url'),
    },
  ];
}

http
  .createServer((req, res) => {
    if (req.method !== 'POST' || !/^\/auth\/(login|register)$/.test(req.url))
      return sendJson(res, 404, { status: 404 });
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () =>
      handle(req, body).then(
        ([status, answer]) => sendJson(res, status, answer),
        () => sendJson(res, 400, { status: 400 }),
      ),
    );
  })
  .listen(Number(process.env.PORT), process.env.HOST || '127.0.0.1');
