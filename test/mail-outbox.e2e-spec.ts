import { randomBytes } from 'node:crypto';
import {
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { SchedulerRegistry } from '@nestjs/schedule';
import { eq } from 'drizzle-orm';
import { Client } from 'pg';
import { mailConfig } from 'src/config/mail.config';
import { DRIZZLE, type Database } from 'src/database/database.types';
import { mailOutbox, type MailOutboxRow } from 'src/database/schema';
import { MailModule } from 'src/mail/mail.module';
import { MailOutbox } from 'src/mail/mail-outbox.service';
import { MailOutboxRepository } from 'src/mail/mail-outbox.repository';
import { MailSender } from 'src/mail/mail-sender.service';
import { MailTransport } from 'src/mail/mail-transport';
import type { OutgoingMail } from 'src/mail/outgoing-mail';
import { MetricsService } from 'src/metrics/metrics.service';
import { until } from './helpers/eventually';
import { postgresUnavailable, TEST_PG_URL } from './helpers/services';
import {
  closedPort,
  startSilentServer,
  startSmtpServer,
  type TestSmtp,
} from './helpers/smtp';
import { createTestApp, type TestApp } from './helpers/test-app';

const FROM = 'Gatehouse Test <no-reply@gatehouse.test>';
const FAST = {
  MAIL_FROM: FROM,
  MAIL_RETRY_BASE: '1s',
  MAIL_RETRY_MAX_DELAY: '2s',
  SMTP_TIMEOUT: '2s',
  MAIL_POLL_INTERVAL: '1s',
  MAIL_MAX_ATTEMPTS: '3',
};

let counter = 0;
function outgoing(overrides: Partial<OutgoingMail> = {}): OutgoingMail {
  counter += 1;
  const tag = `${counter}-${randomBytes(3).toString('hex')}`;
  return {
    kind: 'password_reset',
    to: `mail${tag}@example.com`,
    subject: `Reset your password ${tag}`,
    text: `Reset it here: https://app.example.com/reset-password#token=tok${tag}\n`,
    html: `<p><a href="https://app.example.com/reset-password#token=tok${tag}">Reset</a></p>`,
    ...overrides,
  };
}

function mailApp(env: Record<string, string>): Promise<TestApp> {
  return createTestApp({ ...FAST, ...env }, { imports: [MailModule] });
}

function dbOf(t: TestApp): Database {
  return t.app.get<Database>(DRIZZLE);
}

async function enqueue(t: TestApp, ...mails: OutgoingMail[]): Promise<void> {
  const outbox = t.get(MailOutbox);
  await outbox.enqueueIn(dbOf(t), mails, t.clock.now());
  outbox.kick();
}

async function rowTo(t: TestApp, to: string): Promise<MailOutboxRow> {
  const rows = await dbOf(t)
    .select()
    .from(mailOutbox)
    .where(eq(mailOutbox.recipient, to));
  expect(rows).toHaveLength(1);
  return rows[0];
}

describe('mail outbox over SMTP (e2e)', () => {
  let smtp: TestSmtp;
  let t: TestApp;
  beforeAll(async () => {
    smtp = await startSmtpServer();
    t = await mailApp({ SMTP_URL: smtp.url });
  });
  afterAll(async () => {
    await t.close();
    await smtp.close();
  });
  afterEach(() => smtp.rejectWith(null));

  it('delivers a queued mail once, with text, html and the MAIL_FROM sender, and clears its bodies', async () => {
    const mail = outgoing();
    await enqueue(t, mail);
    const received = await smtp.nextMail(mail.to);
    expect(received.subject).toBe(mail.subject);
    expect(received.text).toContain(
      'https://app.example.com/reset-password#token=',
    );
    expect(received.html).toContain(
      '<a href="https://app.example.com/reset-password#token=',
    );
    expect(received.from).toBe('no-reply@gatehouse.test');
    expect(received.rawHeaders).toMatch(
      /^From: Gatehouse Test <no-reply@gatehouse\.test>$/m,
    );
    await until(
      'the row is marked sent',
      async () => (await rowTo(t, mail.to)).sentAt !== null,
    );
    const row = await rowTo(t, mail.to);
    expect(row).toMatchObject({
      attempts: 1,
      failedAt: null,
      textBody: null,
      htmlBody: null,
    });
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(smtp.mailsTo(mail.to)).toHaveLength(1);
  });

  it('refuses a recipient or subject with a line break: nothing reaches a header, the row fails as rejected', async () => {
    const badTo = outgoing({
      to: 'victim@example.com\r\nBcc: evil@example.com',
    });
    const badSubject = outgoing({ subject: 'Hello\r\nBcc: evil@example.com' });
    const good = outgoing();
    await enqueue(t, badTo, badSubject, good);
    await smtp.nextMail(good.to);
    for (const bad of [badTo, badSubject])
      await until(
        'the bad mail is failed',
        async () => (await rowTo(t, bad.to)).failedAt !== null,
      );
    expect((await rowTo(t, badTo.to)).lastError).toMatch(
      /line break in the recipient/,
    );
    expect((await rowTo(t, badSubject.to)).lastError).toMatch(
      /line break in the subject/,
    );
    expect(smtp.mailsTo('evil@example.com')).toEqual([]);
    expect(smtp.mailsTo('victim@example.com')).toEqual([]);
    expect(smtp.mailsTo(badSubject.to)).toEqual([]);
    expect(smtp.received.some((m) => /^Bcc:/im.test(m.rawHeaders))).toBe(false);
  });

  it('retries a 550 refusal up to MAIL_MAX_ATTEMPTS, then records it failed with the reply, clears the bodies and counts it', async () => {
    const metrics = t.get(MetricsService);
    smtp.rejectWith(550);
    const mail = outgoing({ kind: 'email_verify' });
    await enqueue(t, mail);
    await until(
      'the mail is given up on',
      async () => (await rowTo(t, mail.to)).failedAt !== null,
      { timeoutMs: 15_000, intervalMs: 200 },
    );
    const row = await rowTo(t, mail.to);
    expect(row).toMatchObject({
      attempts: 3,
      sentAt: null,
      textBody: null,
      htmlBody: null,
    });
    expect(row.lastError).toMatch(/^550 /);
    expect(row.lastError!.length).toBeLessThanOrEqual(300);
    expect(row.lastError).not.toContain('token');
    const scraped = await metrics.render('full');
    expect(scraped).toContain(
      'gatehouse_mail_failed_total{kind="email_verify",reason="rejected"} 1',
    );
    expect(scraped).toContain(
      'gatehouse_mail_deferred_total{kind="email_verify"} 2',
    );
    expect(scraped).toContain(
      'gatehouse_mail_queued_total{kind="email_verify"} 1',
    );
    expect(smtp.mailsTo(mail.to)).toEqual([]);
  });

  it('shows the outbox backlog on the pending gauge', async () => {
    const metrics = t.get(MetricsService);
    expect(await metrics.render('full')).toMatch(
      /^gatehouse_mail_outbox_pending 0$/m,
    );
    smtp.rejectWith(451);
    const mail = outgoing();
    await enqueue(t, mail);
    await until('the first try was refused with 451', async () =>
      /^451 /.test((await rowTo(t, mail.to)).lastError ?? ''),
    );
    expect(await metrics.render('full')).toMatch(
      /^gatehouse_mail_outbox_pending 1$/m,
    );
    smtp.rejectWith(null);
    await smtp.nextMail(mail.to, 10_000);
    await until('the gauge is back to 0', async () =>
      /^gatehouse_mail_outbox_pending 0$/m.test(await metrics.render('full')),
    );
  });
});

describe('mail outbox while SMTP is down (e2e)', () => {
  it('keeps a mail queued while nothing listens, then delivers it exactly once when a server comes up on that port', async () => {
    const port = await closedPort();
    const t = await mailApp({ SMTP_URL: `smtp://127.0.0.1:${port}` });
    let smtp: TestSmtp | undefined;
    try {
      const mail = outgoing();
      await enqueue(t, mail);
      await until(
        'a few tries have failed',
        async () => (await rowTo(t, mail.to)).attempts >= 3,
        { timeoutMs: 15_000, intervalMs: 200 },
      );
      const waiting = await rowTo(t, mail.to);
      expect(waiting).toMatchObject({ sentAt: null, failedAt: null });
      expect(waiting.textBody).toContain('#token=');
      expect(waiting.lastError).toMatch(/ECONNREFUSED|ECONNECTION|ESOCKET/);
      smtp = await startSmtpServer(port);
      await smtp.nextMail(mail.to, 10_000);
      await until(
        'the row is marked sent',
        async () => (await rowTo(t, mail.to)).sentAt !== null,
      );
      await new Promise((resolve) => setTimeout(resolve, 2_500));
      expect(smtp.mailsTo(mail.to)).toHaveLength(1);
    } finally {
      await t.close();
      await smtp?.close();
    }
  });

  it('defers a mail when the server never greets, without failing or resending it, and the app keeps answering', async () => {
    const silent = await startSilentServer();
    const t = await mailApp({ SMTP_URL: silent.url });
    try {
      const mail = outgoing();
      await enqueue(t, mail);
      // While the sender waits for a greeting, queries and requests are not blocked behind it.
      const started = Date.now();
      await t.http().get('/health/live').expect(200);
      await expect(t.get(MailOutbox).pendingCount()).resolves.toBe(1);
      expect(Date.now() - started).toBeLessThan(1_000);
      await until(
        'the try timed out and was deferred',
        async () => (await rowTo(t, mail.to)).lastError !== null,
        { timeoutMs: 10_000, intervalMs: 200 },
      );
      const row = await rowTo(t, mail.to);
      expect(row).toMatchObject({ sentAt: null, failedAt: null });
      expect(row.lastError).toMatch(/timeout|ETIMEDOUT/i);
      expect(row.nextAttemptAt.getTime()).toBeLessThan(Date.now() + 3_000);
    } finally {
      await t.close();
      await silent.close();
    }
  });
});

describe('mail outbox without SMTP_URL (e2e)', () => {
  it('writes each mail as an .eml file under DATA_DIR/mail and names the file and its link in a warning', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-mail-'));
    const warn = jest.spyOn(Logger.prototype, 'warn');
    const t = await mailApp({ DATA_DIR: dataDir });
    try {
      const mail = outgoing();
      await enqueue(t, mail);
      const dir = join(dataDir, 'mail');
      await until('a file is written', () => {
        try {
          return readdirSync(dir).some((f) => f.endsWith('.eml'));
        } catch {
          return false;
        }
      });
      await until(
        'the row is marked sent',
        async () => (await rowTo(t, mail.to)).sentAt !== null,
      );
      const [file] = readdirSync(dir);
      const path = join(dir, file);
      expect(file).toMatch(/^\d{4}-\d\d-\d\dT.*\.eml$/);
      expect(statSync(path).mode & 0o777).toBe(0o600);
      const eml = readFileSync(path, 'utf8');
      expect(eml).toContain(`Subject: ${mail.subject}`);
      expect(eml).toContain('From: Gatehouse Test <no-reply@gatehouse.test>');
      const lines = warn.mock.calls.map((call) => String(call[0]));
      expect(lines).toContain(`mail written to ${dir} (no SMTP_URL)`);
      const line = lines.find((l) => l.includes(path));
      expect(line).toContain(mail.to);
      expect(line).toMatch(
        /https:\/\/app\.example\.com\/reset-password#token=tok\S+/,
      );
    } finally {
      warn.mockRestore();
      await t.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

const postgres = postgresUnavailable(
  process.env.TEST_DATABASE_URL || TEST_PG_URL,
);

describe('two senders on one outbox (e2e)', () => {
  const COUNT = 40;

  function expectEachOnce(smtp: TestSmtp, mails: OutgoingMail[]): void {
    const subjects = smtp.received.map((m) => m.subject);
    expect(new Set(subjects).size).toBe(subjects.length);
    expect(subjects.sort()).toEqual(mails.map((m) => m.subject).sort());
  }

  if (postgres)
    process.stdout.write(
      `two instances on one PostgreSQL database: skipped (${postgres}); racing two senders in one app on PGlite instead\n`,
    );

  (postgres ? it.skip : it)(
    'two instances on one PostgreSQL database send each of 40 mails exactly once',
    async () => {
      const adminUrl = process.env.TEST_DATABASE_URL || TEST_PG_URL;
      const name = `gatehouse_mail_${randomBytes(6).toString('hex')}`;
      const admin = async (query: string): Promise<void> => {
        const client = new Client({ connectionString: adminUrl });
        await client.connect();
        try {
          await client.query(query);
        } finally {
          await client.end();
        }
      };
      await admin(`create database ${name}`);
      const url = new URL(adminUrl);
      url.pathname = `/${name}`;
      const smtp = await startSmtpServer();
      const env = {
        SMTP_URL: smtp.url,
        DATABASE_URL: url.toString(),
        MAIL_POLL_INTERVAL: '1h',
      };
      const apps: TestApp[] = [];
      try {
        apps.push(await mailApp(env), await mailApp(env));
        const mails = Array.from({ length: COUNT }, () => outgoing());
        await apps[0]
          .get(MailOutbox)
          .enqueueIn(dbOf(apps[0]), mails, apps[0].clock.now());
        for (const app of apps) app.get(MailOutbox).kick();
        await until('every mail arrived', () => smtp.received.length >= COUNT, {
          timeoutMs: 30_000,
        });
        await until(
          'no mail is pending',
          async () => (await apps[1].get(MailOutbox).pendingCount()) === 0,
        );
        for (const app of apps) app.get(MailOutbox).kick();
        await new Promise((resolve) => setTimeout(resolve, 1_000));
        expectEachOnce(smtp, mails);
        const sentBy = await Promise.all(
          apps.map(
            async (app) =>
              /gatehouse_mail_sent_total\{kind="password_reset"\} (\d+)/.exec(
                await app.get(MetricsService).render('full'),
              )?.[1],
          ),
        );
        expect(sentBy.reduce((sum, n) => sum + Number(n ?? 0), 0)).toBe(COUNT);
      } finally {
        for (const app of apps) await app.close();
        await smtp.close();
        await admin(`drop database if exists ${name} with (force)`);
      }
    },
  );

  it('two senders racing in one app send each of 40 mails exactly once', async () => {
    const smtp = await startSmtpServer();
    const t = await mailApp({ SMTP_URL: smtp.url, MAIL_POLL_INTERVAL: '1h' });
    try {
      const first = t.get(MailSender);
      // A second sender on the same outbox and transport, as a second instance would be.
      const second = new MailSender(
        t.get(MailOutboxRepository),
        t.app.get(MailTransport),
        t.app.get(EventEmitter2),
        t.clock,
        t.app.get(SchedulerRegistry),
        t.app.get<ConfigType<typeof mailConfig>>(mailConfig.KEY),
      );
      const mails = Array.from({ length: COUNT }, () => outgoing());
      await t.get(MailOutbox).enqueueIn(dbOf(t), mails, t.clock.now());
      const [a, b] = await Promise.all([first.drain(), second.drain()]);
      expect(a + b).toBe(COUNT);
      expect(a).toBeGreaterThan(0);
      expect(b).toBeGreaterThan(0);
      await until('every mail arrived', () => smtp.received.length >= COUNT);
      expectEachOnce(smtp, mails);
    } finally {
      await t.close();
      await smtp.close();
    }
  });
});
