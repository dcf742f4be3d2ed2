'use strict';
// The sign-in flows next to the password login (issue 21, "New flows"): MFA verify (the TOTP step after a login),
// passkey sign-in (options, then the assertion a software authenticator signs), and the password-reset request, on
// one Gatehouse instance with mail, passkeys and TOTP on. Then the protected GET on that instance against the plain
// one, to show the features cost a protected request nothing (step-up and `amr` are claim comparisons).
//
// Every timed request is one complete step of its flow with single-use input made before the timed window (login
// challenges, WebAuthn ceremonies); a run is a fixed number of requests (autocannon `amount`), as many as were
// prepared. Any non-2xx answer fails the scenario.
//
// The OIDC code exchange runs on the PostgreSQL instance instead (bench/scenarios/oidc-exchange.js): its codes are
// written into the database directly, which the in-memory PGlite of this instance does not allow.
// Adding a flow: append an object to FLOWS with
//   id, scenario (the row's name), setUp(ctx) once (accounts, providers), and round(ctx, count) answering one
//   measure() result (prepare the round's single-use inputs, then measure them; `count` is given for the untimed
//   warm-up, else the flow uses its own size from SIZES), and a report(...) line in run(). ctx holds the instance
//   (ctx.port, ctx.server, ctx.sink, ctx.origin), ctx.sizes and whatever the setUp steps stored.
const autocannon = require('autocannon');
const { setTimeout: sleep } = require('node:timers/promises');
const {
  call,
  enrolPasskeys,
  enrolTotp,
  mfaChallenges,
  registerUsers,
  startFlowsInstance,
} = require('../lib/flows-accounts');
const { getRequests, interleave, load } = require('../lib/load');
const { CONNECTIONS } = require('../lib/options');
const {
  log,
  median,
  summarize,
  verdict,
  int,
  ratio,
} = require('../lib/report');
const { HOST } = require('../lib/servers');
const { stepAt } = require('../lib/totp');

/** Requests per round (and accounts) in quick and full mode. */
const SIZES = {
  quick: { mfaUsers: 60, passkeyUsers: 10, passkeys: 300, resets: 300 },
  full: { mfaUsers: 400, passkeyUsers: 20, passkeys: 1500, resets: 1500 },
};
/** Requests of the untimed warm-up of the passkey and reset flows (MFA warms up with one round of every user). */
const WARMUP_REQUESTS = 100;
/** How long the reset round waits for the last of its mails to reach the sink. */
const MAIL_WAIT_MS = 120_000;

const json = { 'content-type': 'application/json' };

/**
 * `amount` requests on `port` (10 connections), each taking its body from `bodies` in order; with `server`, its CPU
 * time per request too. Throughput is 2xx answers over the time from the first request sent to the last answer:
 * autocannon's own duration ends on its next one-second tick, which would halve a one-second run's rate.
 */
async function measure({ port, server, bodies, path, onResponse }) {
  const amount = bodies.length;
  let next = 0;
  let first;
  let last;
  const cpuBefore = server?.cpuSeconds();
  const result = await autocannon({
    url: `http://${HOST}:${port}`,
    // autocannon refuses more connections than requests (the single sign-in made at set-up).
    connections: Math.min(CONNECTIONS, amount),
    pipelining: 1,
    amount,
    requests: [
      {
        method: 'POST',
        path,
        headers: json,
        setupRequest: (req) => {
          first ??= process.hrtime.bigint();
          return { ...req, body: bodies[next++ % amount]() };
        },
        onResponse: (status, body) => {
          last = process.hrtime.bigint();
          onResponse?.(status, body);
        },
      },
    ],
  });
  const cpuUs = server
    ? ((server.cpuSeconds() - cpuBefore) * 1e6) /
      Math.max(1, result.requests.total)
    : undefined;
  const seconds = Number(last - first) / 1e9;
  return {
    rps: result['2xx'] / seconds,
    ok: result['2xx'],
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
    p50: result.latency.p50,
    p99: result.latency.p99,
    seconds,
    requests: result.requests.total,
    cpuUs,
  };
}

/** POST /auth/mfa/verify: one fresh login challenge per request, the code the user's app shows at send time. */
const mfaVerify = {
  id: 'mfa',
  scenario: 'POST /auth/mfa/verify (TOTP)',
  async setUp(ctx) {
    const users = await registerUsers(ctx.port, 'flowmfa', ctx.sizes.mfaUsers);
    ctx.mfaUsers = await enrolTotp(ctx.port, users);
    ctx.mfaLastStep = Math.max(...ctx.mfaUsers.map((u) => u.lastStep));
  },
  async round(ctx) {
    // A step is accepted once per user: each round spends one per user, so it waits for a step none has used.
    const challenges = await mfaChallenges(ctx.port, ctx.mfaUsers);
    while (stepAt(Date.now()) <= ctx.mfaLastStep) await sleep(100);
    const result = await measure({
      port: ctx.port,
      server: ctx.server,
      path: '/auth/mfa/verify',
      bodies: challenges.map(
        ({ user, mfaToken }) =>
          () =>
            JSON.stringify({
              mfa_token: mfaToken,
              code: user.totp.codeAt(Date.now()),
            }),
      ),
    });
    ctx.mfaLastStep = stepAt(Date.now());
    return result;
  },
};

/**
 * Ceremonies for `count` usernameless sign-ins (the options step, measured on its own), then the assertions the
 * software authenticators sign for them, spread over the users.
 */
async function passkeyAssertions(ctx, count) {
  const ceremonies = [];
  const options = await measure({
    port: ctx.port,
    server: ctx.server,
    path: '/auth/passkeys/login/options',
    bodies: Array.from({ length: count }, () => () => '{}'),
    onResponse: (status, body) => {
      if (status === 200) ceremonies.push(JSON.parse(body));
    },
  });
  const bodies = ceremonies.map(({ ceremony_id, options: o }, i) => {
    const text = JSON.stringify({
      ceremony_id,
      response: ctx.authenticators[i % ctx.authenticators.length].assert(
        o.challenge,
      ),
    });
    return () => text;
  });
  return { options, bodies };
}

/** POST /auth/passkeys/login: one assertion over one fresh ceremony per request. */
const passkeySignIn = {
  id: 'passkey',
  scenario: 'POST /auth/passkeys/login (assertion)',
  async setUp(ctx) {
    ctx.passkeyUsers = await registerUsers(
      ctx.port,
      'flowpasskey',
      ctx.sizes.passkeyUsers,
    );
    ctx.authenticators = await enrolPasskeys(
      ctx.port,
      ctx.origin,
      ctx.passkeyUsers,
    );
    const { bodies } = await passkeyAssertions(ctx, 1);
    const answer = await call(ctx.port, 'POST', '/auth/passkeys/login', 200, {
      body: JSON.parse(bodies[0]()),
    });
    // The protected GET comparison uses a passkey session's token: amr hwk, user, mfa.
    ctx.accessToken = answer.access_token;
  },
  async round(ctx, count = ctx.sizes.passkeys) {
    const { options, bodies } = await passkeyAssertions(ctx, count);
    ctx.lastPasskeyOptions = options;
    return measure({
      port: ctx.port,
      server: ctx.server,
      path: '/auth/passkeys/login',
      bodies,
    });
  },
};

/** The options step of the passkey rounds, reported as its own row (it runs inside passkeySignIn.round). */
const passkeyOptionsRow = 'POST /auth/passkeys/login/options (usernameless)';

/**
 * POST /auth/password/forgot for registered addresses in turn. The answer is sent before the lookup, the token and
 * the outbox row are written (so it takes the same time for every address); the round therefore also waits for
 * the sink to receive every mail, and the CPU per request counts all of that work, not only the answer's.
 */
const passwordReset = {
  id: 'reset',
  scenario: 'POST /auth/password/forgot',
  setUp(ctx) {
    ctx.resetAddresses = [
      ...ctx.mfaUsers.map((u) => u.email),
      ...ctx.passkeyUsers.map((u) => u.email),
    ];
  },
  async round(ctx, count = ctx.sizes.resets) {
    const addresses = ctx.resetAddresses;
    const bodies = Array.from({ length: count }, (_, i) => {
      const text = JSON.stringify({ email: addresses[i % addresses.length] });
      return () => text;
    });
    const mailsBefore = ctx.sink.received();
    const cpuBefore = ctx.server.cpuSeconds();
    const started = Date.now();
    const result = await measure({
      port: ctx.port,
      server: ctx.server,
      path: '/auth/password/forgot',
      bodies,
    });
    const delivered = await ctx.sink.waitFor(
      mailsBefore + result.ok,
      MAIL_WAIT_MS,
    );
    const mails = ctx.sink.received() - mailsBefore;
    return {
      ...result,
      answerCpuUs: result.cpuUs,
      cpuUs:
        ((ctx.server.cpuSeconds() - cpuBefore) * 1e6) /
        Math.max(1, result.requests),
      mails,
      mailsMissing: delivered ? 0 : result.ok - mails,
      untilLastMailSeconds: (Date.now() - started) / 1000,
    };
  },
};

/** In the order they run in each round. */
const FLOWS = [mfaVerify, passkeySignIn, passwordReset];

/** The protected GET on the flows instance against the plain one; same claims shape, interleaved. */
function getContenders(bench, ctx) {
  return [
    {
      id: 'getPlain',
      label: 'Gatehouse, plain instance (mail, passkeys off)',
      server: bench.servers.gatehouse,
      token: bench.tokens.access_token,
    },
    {
      id: 'getFlows',
      label:
        'Gatehouse, flows instance (mail, passkeys, TOTP on; passkey token)',
      server: ctx.server,
      token: ctx.accessToken,
    },
  ];
}

async function run(bench) {
  log('scenario: new flows (MFA verify, passkey sign-in, password reset)…');
  const { quick, seconds, warmup, rounds } = bench.options;
  const ctx = {
    ...(await startFlowsInstance(bench)),
    sizes: quick ? SIZES.quick : SIZES.full,
  };
  for (const flow of FLOWS) {
    const started = Date.now();
    await flow.setUp(ctx);
    log(
      `  ${flow.id}: set up in ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
  }
  for (const flow of FLOWS) await flow.round(ctx, WARMUP_REQUESTS);
  const gets = getContenders(bench, ctx);
  for (const g of gets)
    await load({
      port: g.server.port,
      seconds: warmup,
      requests: getRequests('/auth/me', g.token),
    });

  const items = [...FLOWS, ...gets];
  const optionsRounds = [];
  const results = await interleave(rounds, items, async (item) => {
    if (!item.round)
      return load({
        port: item.server.port,
        seconds,
        requests: getRequests('/auth/me', item.token),
        server: item.server,
      });
    const result = await item.round(ctx);
    if (item === passkeySignIn) optionsRounds.push(ctx.lastPasskeyOptions);
    log(
      `  ${item.id}: ${int(result.rps)} req/s, ${int(result.cpuUs)} µs CPU/req, ${result.non2xx} non-2xx`,
    );
    return result;
  });

  const rows = [];
  const scenarios = { flows: { sizes: ctx.sizes, flows: {} } };
  const failures = [];
  const report = (id, scenario, server, rounds, note) => {
    const summary = { ...summarize(rounds), rssMb: ctx.server.rssMb() };
    rows.push({ scenario, server, ...summary, note });
    scenarios.flows.flows[id] = { rounds, summary };
    if (summary.non2xx || summary.errors)
      failures.push(
        `${scenario}: ${summary.non2xx} non-2xx, ${summary.errors} errors`,
      );
    return summary;
  };
  const flowsServer = 'Gatehouse flows instance (PGlite)';
  report(
    'mfa',
    mfaVerify.scenario,
    flowsServer,
    results.get(mfaVerify),
    `${ctx.sizes.mfaUsers} challenges/round`,
  );
  report(
    'passkeyOptions',
    passkeyOptionsRow,
    flowsServer,
    optionsRounds,
    `${ctx.sizes.passkeys}/round`,
  );
  report(
    'passkey',
    passkeySignIn.scenario,
    flowsServer,
    results.get(passkeySignIn),
    `${ctx.sizes.passkeys}/round, ${ctx.sizes.passkeyUsers} credentials`,
  );
  const resetRounds = results.get(passwordReset);
  const missing = resetRounds.reduce((n, r) => n + r.mailsMissing, 0);
  if (missing) failures.push(`password reset: ${missing} mails not delivered`);
  report(
    'reset',
    passwordReset.scenario,
    flowsServer,
    resetRounds,
    `${ctx.sizes.resets}/round; CPU incl. lookup, token, outbox, SMTP send (while answering: ${int(median(resetRounds.map((r) => r.answerCpuUs)))} µs); all mails in ${median(resetRounds.map((r) => r.untilLastMailSeconds)).toFixed(1)} s`,
  );

  const [plain, flows] = gets.map((g) => {
    const summary = { ...summarize(results.get(g)), rssMb: g.server.rssMb() };
    rows.push({
      scenario: 'protected GET /auth/me',
      server: g.label,
      ...summary,
    });
    scenarios.flows.flows[g.id] = { rounds: results.get(g), summary };
    return summary;
  });
  const byCpu = plain.cpuUs / flows.cpuUs;
  const byRps = flows.rps / plain.rps;
  scenarios.flows.getRatios = { byCpu, byRps };
  const targets = [
    {
      target: 'flows: every answer 2xx, every reset mail delivered',
      measured: failures.length ? failures.join('; ') : 'yes',
      verdict: failures.length ? 'FAILED' : 'met',
    },
    {
      target:
        'flows: protected GET on the flows instance ≥ 0.9× the plain one by CPU/request',
      measured: `${ratio(byCpu)} by CPU (${int(flows.cpuUs)} vs ${int(plain.cpuUs)} µs), ${ratio(byRps)} req/s`,
      verdict: verdict(byCpu >= 0.9),
    },
  ];
  if (failures.length) {
    log(`flows scenario FAILED: ${failures.join('; ')}`);
    process.exitCode = 1;
  }
  return { rows, targets, scenarios };
}

module.exports = { run, FLOWS, measure };
