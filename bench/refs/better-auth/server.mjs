// Peer: Better Auth on PostgreSQL, as its docs set it up for Node: betterAuth() with a pg Pool, email and password
// on, served by toNodeHandler on node:http. Its defaults everywhere but two, both for the benchmark: the sign-in rate
// limit is off (it is on in production, 100 requests per 10 s per address, and the benchmark is one address; the
// work is what is compared, as Gatehouse runs with RATE_LIMIT_MAX=1000000), and BENCH_COOKIE_CACHE=on turns on
// session.cookieCache (a signed copy of the session in a cookie, 5 minutes by default, so get-session skips the
// database). The schema is created with Better Auth's own migrations at start (getMigrations).
// Env: DATABASE_URL, BETTER_AUTH_SECRET, PORT, HOST, BENCH_COOKIE_CACHE, BENCH_MIGRATE (on: run the migrations).
import http from 'node:http';
import { betterAuth } from 'better-auth';
import { getMigrations } from 'better-auth/db/migration';
import { toNodeHandler } from 'better-auth/node';
import pg from 'pg';

const host = process.env.HOST || '127.0.0.1';
const port = Number(process.env.PORT);
const cookieCache = process.env.BENCH_COOKIE_CACHE === 'on';

const auth = betterAuth({
  database: new pg.Pool({ connectionString: process.env.DATABASE_URL }),
  secret: process.env.BETTER_AUTH_SECRET,
  baseURL: `http://${host}:${port}`,
  emailAndPassword: { enabled: true },
  rateLimit: { enabled: false },
  ...(cookieCache ? { session: { cookieCache: { enabled: true } } } : {}),
});

if (process.env.BENCH_MIGRATE === 'on') {
  const { runMigrations } = await getMigrations(auth.options);
  await runMigrations();
}

http.createServer(toNodeHandler(auth)).listen(port, host);
