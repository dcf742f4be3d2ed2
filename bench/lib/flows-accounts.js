'use strict';
// The flows scenario's instance and accounts: Gatehouse with mail, passkeys and TOTP on, an SMTP sink for its mail,
// users enrolled in TOTP or holding a software passkey, and the login challenges MFA verify consumes. All of it is
// prepared over the HTTP API, outside any timed window.
const { randomBytes } = require('node:crypto');
const { join } = require('node:path');
const { PORTS, ROOT } = require('./options');
const { request } = require('./servers');
const { gatehouseEnv } = require('./setup');
const { startSmtpSink } = require('./smtp-sink');
const { SoftwareAuthenticator } = require('./software-authenticator');
const { stepAt, totpFor } = require('./totp');

/** Runs `fn` over `items`, `limit` at a time (logins hash: a few in flight keep both cores busy). */
async function mapLimit(items, limit, fn) {
  const out = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: limit }, worker));
  return out;
}

/** One API call that must answer `status`, else the preparation stops with what it got. */
async function call(port, method, path, status, options) {
  const res = await request(port, method, path, options);
  if (res.status !== status)
    throw new Error(`${method} ${path}: ${res.status} ${res.text}`);
  return res.json;
}

/**
 * Gatehouse in production mode with every feature the flows need: PASSKEYS on (RP ID localhost, the origin the
 * software authenticator claims), EMAIL_FEATURES on with the sink as SMTP server, and a KEYS_ENCRYPTION_KEY for the
 * TOTP secrets. MAIL_PER_ADDRESS_MAX is raised to its maximum (1000 per hour) so that reset requests to the same
 * addresses keep sending mail: a request over the quota does less work and would flatter the figure.
 */
async function startFlowsInstance(bench) {
  const port = PORTS.gatehouseFlows;
  const sink = await startSmtpSink(PORTS.smtpSink);
  bench.onCleanUp(sink.close);
  const origin = `http://localhost:${port}`;
  const server = await bench.start({
    name: 'gatehouse-flows',
    // The build under test, as setUp started it (--dist included).
    script: join(bench.options.dist ?? join(ROOT, 'dist'), 'main.js'),
    port,
    env: gatehouseEnv(bench.dataDir('flows'), {
      EMAIL_FEATURES: 'on',
      SMTP_URL: sink.url,
      APP_URL: origin,
      MAIL_PER_ADDRESS_MAX: '1000',
      PASSKEYS: 'on',
      WEBAUTHN_RP_ID: 'localhost',
      WEBAUTHN_ORIGINS: origin,
      KEYS_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    }),
  });
  return { server, sink, port, origin };
}

const newUser = (prefix, i) => ({
  username: `${prefix}${i}`,
  email: `${prefix}${i}@example.com`,
  password: `correct horse battery staple ${prefix} ${i}`,
});

async function login(port, user) {
  return call(port, 'POST', '/auth/login', 200, {
    body: { username: user.username, password: user.password },
  });
}

/** Registers `count` users named `<prefix><i>`. */
async function registerUsers(port, prefix, count) {
  const users = Array.from({ length: count }, (_, i) => newUser(prefix, i));
  await mapLimit(users, 4, (user) =>
    call(port, 'POST', '/auth/register', 201, { body: user }),
  );
  return users;
}

/**
 * Turns TOTP on for each user (setup right after a login, so within the step-up age; confirm with the current code)
 * and gives each a code generator and the step it last spent.
 */
async function enrolTotp(port, users) {
  return mapLimit(users, 4, async (user) => {
    const { access_token: token } = await login(port, user);
    const setup = await call(port, 'POST', '/auth/mfa/totp/setup', 200, {
      token,
      body: {},
    });
    const totp = totpFor(setup.secret);
    const now = Date.now();
    await call(port, 'POST', '/auth/mfa/totp/confirm', 200, {
      token,
      body: { code: totp.codeAt(now) },
    });
    return { ...user, totp, lastStep: stepAt(now) };
  });
}

/** Registers one software passkey per user and answers the authenticators. */
async function enrolPasskeys(port, origin, users) {
  return mapLimit(users, 4, async (user) => {
    const { access_token: token } = await login(port, user);
    const start = await call(
      port,
      'POST',
      '/auth/passkeys/register/options',
      200,
      { token, body: {} },
    );
    const authenticator = new SoftwareAuthenticator(origin);
    await call(port, 'POST', '/auth/passkeys/register', 201, {
      token,
      body: {
        ceremony_id: start.ceremony_id,
        response: authenticator.register(start.options),
        name: 'bench software authenticator',
      },
    });
    return authenticator;
  });
}

/** One password login per user: the `mfa_token` of each challenge, with the user it belongs to. */
async function mfaChallenges(port, users) {
  return mapLimit(users, 4, async (user) => {
    const answer = await login(port, user);
    if (!answer.mfa_required)
      throw new Error(
        `${user.username}: login did not ask for a second factor`,
      );
    return { user, mfaToken: answer.mfa_token };
  });
}

module.exports = {
  call,
  enrolPasskeys,
  enrolTotp,
  mfaChallenges,
  registerUsers,
  startFlowsInstance,
};
