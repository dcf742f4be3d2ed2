import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { DatabaseService } from 'src/database/database.service';
import { createTestApp, TEST_SECRET, type TestApp } from './helpers/test-app';
import { createTestDatabase, type TestDatabase } from './helpers/test-database';
import { until } from './helpers/eventually';
import { ensureBuilt } from './helpers/spawn-app';

// Each test starts the app or the built CLI more than once; jest.config's per-project testTimeout is not applied.
jest.setTimeout(120_000);

const ROOT = join(__dirname, '..');
const CLI = join(ROOT, 'dist', 'cli.js');
const MAIN = join(ROOT, 'dist', 'main.js');
/** This spec's slice of the helpers' port range. */
const PORT = 4317;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command with `input` piped to stdin (so the CLI reads the password from it) and collects its output. */
function run(
  command: string,
  args: string[],
  env: Record<string, string>,
  input = '',
): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        ...env,
      },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input);
  });
}

describe('create-admin CLI (e2e)', () => {
  let dataDir: string;
  let database: TestDatabase | undefined;
  let env: Record<string, string>;

  beforeAll(async () => {
    // The CLI under test is the built one, exactly as `npm run cli` runs it; build it if src/ is newer.
    ensureBuilt();
    dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-cli-'));
    // PostgreSQL when the suite runs on it; otherwise PGlite on disk (DATABASE_URL unset → DATA_DIR/pglite).
    database = process.env.TEST_DATABASE_URL
      ? await createTestDatabase()
      : undefined;
    env = {
      NODE_ENV: 'test',
      LOG_LEVEL: 'warn',
      JWT_SECRET: TEST_SECRET,
      DATA_DIR: dataDir,
      DATABASE_URL: database?.url ?? '',
    };
  }, 300_000);

  afterAll(async () => {
    await database?.drop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  const cli = (args: string[], input = ''): Promise<Run> =>
    run(process.execPath, [CLI, ...args], env, input);

  /** Opens the same database in an app; the CLI must not run meanwhile (PGlite on disk allows one process). */
  async function withApp<T>(fn: (t: TestApp) => Promise<T>): Promise<T> {
    const t = await createTestApp({
      DATA_DIR: env.DATA_DIR,
      DATABASE_URL: env.DATABASE_URL,
    });
    try {
      return await fn(t);
    } finally {
      await t.close();
    }
  }

  const admins = (t: TestApp): Promise<string[]> =>
    t
      .get(DatabaseService)
      .db.execute(
        sql`select username from users where 'admin' = any(roles) order by username`,
      )
      .then((result) => result.rows.map((row) => row.username as string));

  const PASSWORD = 'cli admin password, long enough';

  it('creates an admin through `npm run cli`, reading the password from stdin', async () => {
    const result = await run(
      'npm',
      [
        'run',
        '--silent',
        'cli',
        '--',
        'create-admin',
        '--username',
        'cli_admin',
        '--email',
        'cli-admin@example.com',
      ],
      env,
      `${PASSWORD}\n`,
    );
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(
      /^created admin cli_admin <cli-admin@example\.com> \(id [0-9a-f-]{36}\)$/m,
    );
    expect(result.stdout + result.stderr).not.toContain(PASSWORD);

    await withApp(async (t) => {
      expect(await admins(t)).toEqual(['cli_admin']);
      // The trailing newline of the piped line is not part of the password.
      const login = await t
        .http()
        .post('/auth/login')
        .send({ username: 'cli_admin', password: PASSWORD })
        .expect(200);
      await t
        .http()
        .get('/users')
        .set('authorization', `Bearer ${login.body.access_token}`)
        .expect(200);
    });
  });

  it.each([
    ['the same username', 'cli_admin', 'someone-else@example.com'],
    ['the same username in other case', 'CLI_Admin', 'other@example.com'],
    ['the same email in other case', 'cli_other', 'CLI-ADMIN@example.com'],
  ])(
    'refuses a duplicate (%s) with a clear message and exit code 1',
    async (_name, username, email) => {
      const result = await cli(
        ['create-admin', '--username', username, '--email', email],
        `another password, long enough\n`,
      );
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(
        /^gatehouse: an account with username ".*" or email ".*" already exists; no admin was created\n$/,
      );
      expect(result.stdout).toBe('');
    },
  );

  it.each([
    [
      'a short password',
      ['--username', 'cli_short', '--email', 'short@example.com'],
      'too short\n',
      1,
      /password must be between 12 and 128 characters/,
    ],
    [
      'an invalid username',
      ['--username', 'bad name!', '--email', 'bad@example.com'],
      `${PASSWORD}\n`,
      1,
      /username may contain only/,
    ],
    [
      'an invalid email',
      ['--username', 'cli_bademail', '--email', 'nope'],
      `${PASSWORD}\n`,
      1,
      /email must be a valid email address/,
    ],
    [
      'a missing --email',
      ['--username', 'cli_noemail'],
      `${PASSWORD}\n`,
      2,
      /--username and --email are required[\s\S]*Usage:/,
    ],
    [
      'an unknown option',
      ['--username', 'cli_x', '--email', 'x@example.com', '--role', 'admin'],
      `${PASSWORD}\n`,
      2,
      /Unknown option '--role'/,
    ],
  ])(
    'refuses %s without touching the database',
    async (_name, args, input, code, message) => {
      const result = await cli(['create-admin', ...args], input);
      expect(result.code).toBe(code);
      expect(result.stderr).toMatch(message);
      expect(result.stderr).not.toMatch(/\n\s+at /);
    },
  );

  it('refuses an unknown command with the usage and exit code 2', async () => {
    const result = await cli(['make-admin']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/unknown command "make-admin"[\s\S]*Usage:/);
  });

  it('still holds exactly the one admin after the refused runs', async () => {
    await withApp(async (t) => {
      expect(await admins(t)).toEqual(['cli_admin']);
    });
  });

  it('creates a further admin under a new name: the CLI is not limited to the first', async () => {
    const result = await cli(
      [
        'create-admin',
        '--username',
        'cli_second',
        '--email',
        'second@example.com',
      ],
      PASSWORD,
    );
    expect(result.code).toBe(0);
    await withApp(async (t) => {
      expect(await admins(t)).toEqual(['cli_admin', 'cli_second']);
    });
  });

  describe('server start', () => {
    it('refuses to start on a partial ADMIN_* set with one line naming the missing key', async () => {
      const result = await run(process.execPath, [MAIN], {
        ...env,
        PORT: String(PORT),
        HOST: '127.0.0.1',
        ADMIN_USERNAME: 'half_admin',
        ADMIN_EMAIL: 'half@example.com',
      });
      expect(result.code).toBe(1);
      expect(result.stderr.trim().split('\n')).toEqual([
        expect.stringMatching(/^Invalid configuration: ADMIN_PASSWORD: /),
      ]);
    });

    it('creates the first admin at start without ever logging the password', async () => {
      const freshDir = mkdtempSync(join(tmpdir(), 'gatehouse-cli-main-'));
      const freshDb = process.env.TEST_DATABASE_URL
        ? await createTestDatabase()
        : undefined;
      const secret = 'start admin password, long enough';
      const child = spawn(process.execPath, [MAIN], {
        cwd: ROOT,
        env: {
          PATH: process.env.PATH ?? '',
          ...env,
          DATA_DIR: freshDir,
          DATABASE_URL: freshDb?.url ?? '',
          LOG_LEVEL: 'trace',
          PORT: String(PORT),
          HOST: '127.0.0.1',
          ADMIN_USERNAME: 'start_admin',
          ADMIN_EMAIL: 'start@example.com',
          ADMIN_PASSWORD: secret,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
      const exited = new Promise<void>((resolve) =>
        child.on('exit', () => resolve()),
      );
      try {
        const base = `http://127.0.0.1:${PORT}`;
        await until(
          () => `the server to become ready; output:\n${output}`,
          async () => {
            if (child.exitCode !== null)
              throw new Error(`the server exited; output:\n${output}`);
            return fetch(`${base}/health/live`)
              .then((res) => res.ok)
              .catch(() => false);
          },
          { timeoutMs: 60_000, intervalMs: 100 },
        );
        const login = await fetch(`${base}/auth/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ username: 'start_admin', password: secret }),
        });
        expect(login.status).toBe(200);
        const { access_token } = (await login.json()) as {
          access_token: string;
        };
        const users = await fetch(`${base}/users`, {
          headers: { authorization: `Bearer ${access_token}` },
        });
        expect(users.status).toBe(200);
        // The creation is logged (so the output is the right one to search), the password is not.
        expect(output).toContain('admin_created');
        expect(output).not.toContain(secret);
      } finally {
        child.kill('SIGTERM');
        await exited;
        await freshDb?.drop();
        rmSync(freshDir, { recursive: true, force: true });
      }
    });
  });
});
