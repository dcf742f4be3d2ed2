import { Logger } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { SchedulerRegistry } from '@nestjs/schedule';
import { DrizzleQueryError } from 'drizzle-orm';
import { Clock } from 'src/common/clock';
import type { mailConfig } from 'src/config/mail.config';
import { DomainEvent } from 'src/events/domain-events';
import type {
  MailOutboxRepository,
  QueuedMail,
} from './mail-outbox.repository';
import { MailSender } from './mail-sender.service';
import { MailTransport } from './mail-transport';

const T0 = new Date('2026-01-01T00:00:00Z');

class FakeClock extends Clock {
  at = T0;
  now(): Date {
    return this.at;
  }
}

class FakeTransport extends MailTransport {
  sent: QueuedMail[] = [];
  failWith?: {
    responseCode?: number;
    response?: string;
    code?: string;
    message?: string;
  };
  send(mail: QueuedMail): Promise<void> {
    if (this.failWith)
      return Promise.reject(
        Object.assign(
          new Error(this.failWith.message ?? 'failed'),
          this.failWith,
        ),
      );
    this.sent.push(mail);
    return Promise.resolve();
  }
  close(): void {}
}

/** The outbox in memory: claimDue hands out each row once until it is deferred. */
class FakeRepository {
  rows: QueuedMail[] = [];
  calls: string[] = [];
  deferred = new Map<string, { at: Date; error: string }>();
  failed = new Map<string, string>();
  claimError?: Error;
  private claimed = new Set<string>();

  claimDue(_now: Date, _lease: Date, limit: number): Promise<QueuedMail[]> {
    this.calls.push('claimDue');
    if (this.claimError) return Promise.reject(this.claimError);
    const due = this.rows
      .filter((r) => !this.claimed.has(r.id))
      .slice(0, limit);
    for (const r of due) {
      this.claimed.add(r.id);
      r.attempts += 1;
    }
    return Promise.resolve(due.map((r) => ({ ...r })));
  }
  markSent(id: string): Promise<void> {
    this.calls.push(`sent ${id}`);
    return Promise.resolve();
  }
  defer(id: string, at: Date, error: string): Promise<void> {
    this.deferred.set(id, { at, error });
    this.claimed.delete(id);
    return Promise.resolve();
  }
  markFailed(id: string, _now: Date, error: string): Promise<void> {
    this.failed.set(id, error);
    return Promise.resolve();
  }
  purge(): Promise<number> {
    this.calls.push('purge');
    return Promise.resolve(0);
  }
}

const config = {
  enabled: true,
  timeoutSeconds: 2,
  pollIntervalSeconds: 3600,
  retryBaseSeconds: 30,
  retryMaxDelaySeconds: 900,
  maxAttempts: 2,
  maxAgeSeconds: 3600,
  retentionSeconds: 7 * 24 * 3600,
} as ConfigType<typeof mailConfig>;

let n = 0;
function mail(overrides: Partial<QueuedMail> = {}): QueuedMail {
  n += 1;
  return {
    id: `m${n}`,
    kind: 'password_reset',
    to: `user${n}@example.com`,
    subject: 'Reset',
    text: 'https://app.example.com/reset#token=abc',
    html: '<p>reset</p>',
    attempts: 0,
    createdAt: T0,
    ...overrides,
  };
}

describe(MailSender.name, () => {
  let repository: FakeRepository;
  let transport: FakeTransport;
  let clock: FakeClock;
  let events: EventEmitter2;
  let emitted: Array<[string, unknown]>;
  let sender: MailSender;

  function build(overrides: Partial<typeof config> = {}): MailSender {
    return new MailSender(
      repository as unknown as MailOutboxRepository,
      transport,
      events,
      clock,
      new SchedulerRegistry(),
      { ...config, ...overrides },
    );
  }

  beforeEach(() => {
    for (const level of ['log', 'warn', 'error'] as const)
      jest.spyOn(Logger.prototype, level).mockImplementation(() => undefined);
    repository = new FakeRepository();
    transport = new FakeTransport();
    clock = new FakeClock();
    events = new EventEmitter2({ wildcard: true });
    emitted = [];
    events.onAny((event, payload) =>
      emitted.push([String(event), payload as unknown]),
    );
    sender = build();
  });

  afterEach(async () => {
    await sender.onModuleDestroy();
    jest.restoreAllMocks();
  });

  it('sends every due mail across batches, marks each sent once and announces it', async () => {
    repository.rows = Array.from({ length: 23 }, () => mail());
    await expect(sender.drain()).resolves.toBe(23);
    expect(transport.sent.map((m) => m.id)).toEqual(
      repository.rows.map((m) => m.id),
    );
    expect(repository.calls.filter((c) => c.startsWith('sent '))).toHaveLength(
      23,
    );
    expect(emitted.filter(([e]) => e === DomainEvent.MailSent)).toHaveLength(
      23,
    );
  });

  it('defers a 5xx refusal by the base delay, then gives up as rejected at MAIL_MAX_ATTEMPTS', async () => {
    const m = mail();
    repository.rows = [m];
    transport.failWith = { responseCode: 550, response: '550 no such user' };
    await sender.drain();
    expect(repository.deferred.get(m.id)).toEqual({
      at: new Date(T0.getTime() + 30_000),
      error: '550 no such user',
    });
    expect(repository.failed.size).toBe(0);
    await sender.drain();
    expect(repository.failed.get(m.id)).toBe('550 no such user');
    expect(emitted).toEqual([
      [DomainEvent.MailDeferred, { kind: 'password_reset' }],
      [DomainEvent.MailFailed, { kind: 'password_reset', reason: 'rejected' }],
    ]);
  });

  it('keeps deferring a connection failure beyond MAIL_MAX_ATTEMPTS and gives up as expired only past MAIL_MAX_AGE', async () => {
    const m = mail({ attempts: 5 });
    repository.rows = [m];
    transport.failWith = {
      code: 'ECONNECTION',
      message: 'connect ECONNREFUSED',
    };
    clock.at = new Date(T0.getTime() + 3600_000);
    await sender.drain();
    expect(repository.deferred.get(m.id)?.at).toEqual(
      new Date(clock.at.getTime() + 900_000),
    );
    expect(repository.failed.size).toBe(0);
    clock.at = new Date(T0.getTime() + 3601_000);
    await sender.drain();
    expect(repository.failed.get(m.id)).toBe(
      'ECONNECTION connect ECONNREFUSED',
    );
    expect(emitted.at(-1)).toEqual([
      DomainEvent.MailFailed,
      { kind: 'password_reset', reason: 'expired' },
    ]);
  });

  it('treats a 4xx reply as transient', async () => {
    const m = mail({ attempts: 10 });
    repository.rows = [m];
    transport.failWith = { responseCode: 451, response: '451 try later' };
    await sender.drain();
    expect(repository.deferred.get(m.id)?.error).toBe('451 try later');
    expect(repository.failed.size).toBe(0);
  });

  it('refuses a mail whose recipient carries a line break without handing it to the transport', async () => {
    const m = mail({ to: 'a@example.com\r\nBcc: evil@example.com' });
    repository.rows = [m];
    await sender.drain();
    expect(transport.sent).toEqual([]);
    expect(repository.failed.get(m.id)).toMatch(/line break/);
    expect(emitted).toEqual([
      [DomainEvent.MailFailed, { kind: 'password_reset', reason: 'rejected' }],
    ]);
  });

  it('runs one round at a time: kicks during a round coalesce into one more round', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let inFlight = 0;
    let maxInFlight = 0;
    const claim = repository.claimDue.bind(repository);
    repository.claimDue = async (...args) => {
      inFlight += 1;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await gate;
      inFlight -= 1;
      return claim(...args);
    };
    sender.onApplicationBootstrap();
    sender.kick();
    sender.kick();
    sender.kick();
    release();
    const claims = (): number =>
      repository.calls.filter((c) => c === 'claimDue').length;
    // The bootstrap round, then exactly one more for the three kicks.
    await until(() => claims() === 2);
    for (let i = 0; i < 20; i += 1)
      await new Promise((resolve) => setImmediate(resolve));
    expect(claims()).toBe(2);
    expect(maxInFlight).toBe(1);
  });

  it('does not start when mail is disabled', async () => {
    sender = build({ enabled: false });
    repository.rows = [mail()];
    sender.onApplicationBootstrap();
    sender.kick();
    await new Promise((resolve) => setImmediate(resolve));
    expect(repository.calls).toEqual([]);
  });

  it('logs a database failure without the query parameters and keeps going', async () => {
    const errors = jest
      .spyOn(Logger.prototype, 'error')
      .mockImplementation(() => undefined);
    repository.claimError = new DrizzleQueryError(
      'update "mail_outbox" set "next_attempt_at" = $1',
      ['https://app.example.com/reset#token=secret'],
      Object.assign(new Error('connection lost'), { code: '08006' }),
    );
    sender.onApplicationBootstrap();
    await until(() => errors.mock.calls.length > 0);
    const line = String(errors.mock.calls[0][0]);
    expect(line).toContain('08006');
    expect(line).not.toContain('secret');
    repository.claimError = undefined;
    repository.rows = [mail()];
    sender.kick();
    await until(() => transport.sent.length === 1);
    errors.mockRestore();
  });
});

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 100 && !condition(); i += 1)
    await new Promise((resolve) => setImmediate(resolve));
  expect(condition()).toBe(true);
}
