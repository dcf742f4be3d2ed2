import { randomUUID } from 'node:crypto';
import type Redis from 'ioredis';
import type { EventEmitter2 } from '@nestjs/event-emitter';
import { SchedulerRegistry } from '@nestjs/schedule';
import type { RedisService } from 'src/redis/redis.module';
import { describeWithRedis } from 'test/helpers/services';
import { TestClock } from 'test/helpers/test-clock';
import { loginAttemptsConfig } from 'src/config/login-attempts.config';
import { Logger } from '@nestjs/common';
import { DomainEvent, type PasswordResetEvent } from 'src/events/domain-events';
import { TooManyLoginAttemptsError } from './login-attempts.errors';
import type { LoginAttemptOp } from './login-attempts.policy';
import {
  LoginAttemptsService,
  type LoginSubject,
} from './login-attempts.service';
import { MemoryLoginAttemptStore } from './login-attempts.store';

/** The config as the app builds it from these env values. */
function configFor(
  env: Record<string, string>,
): ReturnType<typeof loginAttemptsConfig> {
  const saved = { ...process.env };
  Object.assign(process.env, env);
  try {
    return loginAttemptsConfig();
  } finally {
    process.env = saved;
  }
}

function serviceWith(client: Redis | undefined, clock: TestClock) {
  return new LoginAttemptsService(
    { client } as RedisService,
    clock,
    { emit: jest.fn() } as unknown as EventEmitter2,
    configFor({ LOGIN_MAX_FAILURES: '2', HASH_QUEUE_MAX_WAIT: '60s' }),
    new SchedulerRegistry(),
  );
}

/** The same specs on the in-process counters and, when Redis answers, on the shared ones. */
function reservationSpecs(client: () => Redis | undefined): void {
  let clock: TestClock;
  let service: LoginAttemptsService;
  beforeEach(() => {
    clock = new TestClock();
    service = serviceWith(client(), clock);
  });
  afterEach(() => service.onModuleDestroy());

  it('keeps reservations counted while their attempts wait HASH_QUEUE_MAX_WAIT for a hash slot, then hash', async () => {
    const subject = { accountId: randomUUID() };
    const queued = await Promise.all([
      service.begin(subject),
      service.begin(subject),
    ]);
    // Both still queued behind other hashes 85 s later: no fresh guess may be handed out meanwhile.
    clock.advance(85);
    await expect(service.begin(subject)).rejects.toBeInstanceOf(
      TooManyLoginAttemptsError,
    );
    await Promise.all(queued.map((attempt) => attempt.failed()));
    await expect(service.begin(subject)).rejects.toBeInstanceOf(
      TooManyLoginAttemptsError,
    );
  });

  it('presumes reservations abandoned once the longest wait plus the hash allowance has passed', async () => {
    const subject = { accountId: randomUUID() };
    await Promise.all([service.begin(subject), service.begin(subject)]);
    clock.advance(89);
    await expect(service.begin(subject)).rejects.toBeInstanceOf(
      TooManyLoginAttemptsError,
    );
    clock.advance(1);
    await expect(service.begin(subject)).resolves.toBeDefined();
  });
}

describe(`${LoginAttemptsService.name} with in-process counters`, () => {
  it('lets reservations live for HASH_QUEUE_MAX_WAIT plus 30 s', () => {
    expect(configFor({ HASH_QUEUE_MAX_WAIT: '60s' }).inFlightTtlMs).toBe(
      90_000,
    );
    expect(configFor({ HASH_QUEUE_MAX_WAIT: '0' }).inFlightTtlMs).toBe(30_000);
  });

  reservationSpecs(() => undefined);
});

describeWithRedis(
  `${LoginAttemptsService.name} with Redis counters`,
  2,
  (client) => reservationSpecs(client),
);

const CONFIG = configFor({
  LOGIN_MAX_FAILURES: '2',
  HASH_QUEUE_MAX_WAIT: '60s',
});
const LOCK_MS = CONFIG.lockoutBaseMs;

/**
 * Redis as the lockout script sees it: one set of counters that every instance's client reaches. The script decides
 * like `step()` (login-attempts.policy.spec.ts runs both side by side), so the fake decides with the in-process store.
 * Each client can be cut off on its own, as when one instance loses its connection.
 */
class SharedCounters {
  store = new MemoryLoginAttemptStore(CONFIG);

  client(): { down: boolean; eval: jest.Mock } {
    const client = {
      down: false,
      eval: jest.fn(
        async (
          _script: string,
          _keys: number,
          key: string,
          op: LoginAttemptOp,
          now: number,
          ...rest: unknown[]
        ) => {
          if (client.down) throw new Error('connect ECONNREFUSED');
          const {
            granted,
            retryAfterMs,
            counters: c,
          } = await this.store.apply(
            key,
            op,
            now,
            rest[rest.length - 1] === '1',
          );
          return [
            granted ? 1 : 0,
            ...[retryAfterMs, c.failures, c.windowStart, c.level]
              .concat([c.lockedUntil, c.inFlight, c.inFlightUntil])
              .map(String),
          ];
        },
      ),
    };
    return client;
  }

  /** Redis restarted without its data. */
  flush(): void {
    this.store = new MemoryLoginAttemptStore(CONFIG);
  }
}

function reset(userId: string): PasswordResetEvent {
  return { userId, client: {}, ended: 0 };
}

interface Instance {
  service: LoginAttemptsService;
  emit: jest.Mock;
}

function instance(clock: TestClock, client?: { eval: jest.Mock }): Instance {
  const emit = jest.fn();
  const service = new LoginAttemptsService(
    { client } as unknown as RedisService,
    clock,
    { emit } as unknown as EventEmitter2,
    CONFIG,
    new SchedulerRegistry(),
  );
  return { service, emit };
}

/** Retry-After of the refusal `begin` ends with, or undefined when it grants. */
async function refusal(
  service: LoginAttemptsService,
  subject: LoginSubject,
): Promise<string | undefined> {
  try {
    await service.begin(subject);
    return undefined;
  } catch (error) {
    expect(error).toBeInstanceOf(TooManyLoginAttemptsError);
    return (error as TooManyLoginAttemptsError).headers?.['retry-after'];
  }
}

async function failTimes(
  service: LoginAttemptsService,
  subject: LoginSubject,
  count: number,
): Promise<void> {
  for (let i = 0; i < count; i += 1)
    await (await service.begin(subject)).failed();
}

describe(`${LoginAttemptsService.name} lockout`, () => {
  let clock: TestClock;
  let one: Instance;
  beforeEach(() => {
    clock = new TestClock();
    clock.freezeAtWholeSecond();
    one = instance(clock);
    for (const level of ['warn', 'error'] as const)
      jest.spyOn(Logger.prototype, level).mockImplementation(() => undefined);
  });
  afterEach(() => {
    one.service.onModuleDestroy();
    jest.useRealTimers();
    jest.restoreAllMocks();
  });

  it('locks an account at LOGIN_MAX_FAILURES failures and announces it once, with the lock end', async () => {
    const subject = { accountId: randomUUID() };
    await failTimes(one.service, subject, 1);
    expect(one.emit).not.toHaveBeenCalled();
    await failTimes(one.service, subject, 1);
    expect(one.emit.mock.calls).toEqual([
      [
        DomainEvent.Lockout,
        {
          userId: subject.accountId,
          until: new Date(clock.now().getTime() + LOCK_MS),
        },
      ],
    ]);
    await expect(refusal(one.service, subject)).resolves.toBe('1');
    expect(Logger.prototype.error).not.toHaveBeenCalled();
  });

  it('forgets earlier failures after a successful login', async () => {
    const subject = { accountId: randomUUID() };
    await failTimes(one.service, subject, 1);
    await (await one.service.begin(subject)).succeeded();
    await failTimes(one.service, subject, 1);
    await expect(refusal(one.service, subject)).resolves.toBeUndefined();
    expect(one.emit).not.toHaveBeenCalled();
  });

  it('lets the next attempt in the moment the lock ends', async () => {
    const subject = { accountId: randomUUID() };
    await failTimes(one.service, subject, 2);
    clock.advance(LOCK_MS / 1000 - 0.001);
    await expect(refusal(one.service, subject)).resolves.toBe('1');
    clock.advance(0.001);
    await expect(refusal(one.service, subject)).resolves.toBeUndefined();
  });

  it('counts a login name in any letter case as one, and announces its lockout without a user', async () => {
    await failTimes(one.service, { loginName: 'Alice' }, 1);
    await failTimes(one.service, { loginName: 'ALICE' }, 1);
    await expect(
      refusal(one.service, { loginName: 'alice' }),
    ).resolves.toBeDefined();
    await expect(
      refusal(one.service, { loginName: 'bob' }),
    ).resolves.toBeUndefined();
    // Folded like the account lookup (lower case), where 'STRASSE' and 'Straße' are two names.
    await failTimes(one.service, { loginName: 'STRASSE' }, 2);
    await expect(
      refusal(one.service, { loginName: 'Straße' }),
    ).resolves.toBeUndefined();
    expect(one.emit).toHaveBeenCalledWith(DomainEvent.Lockout, {
      userId: null,
      until: expect.any(Date) as Date,
    });
  });

  it('keeps accounts apart, and a login name that spells an account id apart from that account', async () => {
    const victim = randomUUID();
    await failTimes(one.service, { loginName: victim }, 2);
    await failTimes(one.service, { accountId: randomUUID() }, 2);
    await expect(
      refusal(one.service, { accountId: victim }),
    ).resolves.toBeUndefined();
  });

  it('announces nothing for a success or an attempt abandoned after the lockout', async () => {
    const subject = { accountId: randomUUID() };
    await (await one.service.begin(subject)).succeeded();
    const lapsed = await one.service.begin(subject);
    // Presumed abandoned after HASH_QUEUE_MAX_WAIT plus 30 s; two fresh failures lock the account meanwhile.
    clock.advance(90);
    await failTimes(one.service, subject, 2);
    one.emit.mockClear();
    await lapsed.abandoned();
    expect(one.emit).not.toHaveBeenCalled();
  });

  it('frees the slot of an abandoned attempt without counting a failure', async () => {
    const subject = { accountId: randomUUID() };
    const [first, second] = await Promise.all([
      one.service.begin(subject),
      one.service.begin(subject),
    ]);
    await first.abandoned();
    await second.failed();
    const third = await one.service.begin(subject);
    await third.succeeded();
    expect(one.emit).not.toHaveBeenCalled();
  });

  it('forgets failures and the lockout of an account on a password reset, but not attempts still in flight', async () => {
    const subject = { accountId: randomUUID() };
    await failTimes(one.service, subject, 2);
    await one.service.passwordReset(reset(subject.accountId));
    const inFlight = await Promise.all([
      one.service.begin(subject),
      one.service.begin(subject),
    ]);
    await one.service.passwordReset(reset(subject.accountId));
    await expect(refusal(one.service, subject)).resolves.toBeDefined();
    await Promise.all(inFlight.map((attempt) => attempt.succeeded()));
  });

  it('asks its counters to drop what is idle every minute until shutdown', async () => {
    jest.useFakeTimers();
    const sweep = jest.spyOn(MemoryLoginAttemptStore.prototype, 'sweep');
    one.service.onApplicationBootstrap();
    await jest.advanceTimersByTimeAsync(60_000);
    expect(sweep).toHaveBeenCalledWith(clock.now().getTime());
    one.service.onModuleDestroy();
    await jest.advanceTimersByTimeAsync(120_000);
    expect(sweep).toHaveBeenCalledTimes(1);
  });

  describe('with counters shared through Redis', () => {
    let shared: SharedCounters;
    let clientA: ReturnType<SharedCounters['client']>;
    let a: Instance;
    let b: Instance;
    beforeEach(() => {
      shared = new SharedCounters();
      clientA = shared.client();
      a = instance(clock, clientA);
      b = instance(clock, shared.client());
    });

    it('counts failures across instances; the one that locks announces it', async () => {
      const subject = { accountId: randomUUID() };
      await failTimes(a.service, subject, 1);
      await failTimes(b.service, subject, 1);
      expect(a.emit).not.toHaveBeenCalled();
      expect(b.emit).toHaveBeenCalledTimes(1);
      clock.advance(0.4);
      await expect(refusal(a.service, subject)).resolves.toBe('1');
    });

    it('keeps enforcing a lockout it knows of when Redis returns without it', async () => {
      const subject = { accountId: randomUUID() };
      await failTimes(a.service, subject, 2);
      shared.flush();
      await expect(refusal(a.service, subject)).resolves.toBe('1');
      await expect(refusal(b.service, subject)).resolves.toBeUndefined();
    });

    it('when Redis stops answering, counts on from the last counts it saw and logs the outage once', async () => {
      const subject = { accountId: randomUUID() };
      await failTimes(a.service, subject, 1);
      clientA.down = true;
      await failTimes(a.service, subject, 1);
      expect(a.emit).toHaveBeenCalledTimes(1);
      await expect(refusal(a.service, subject)).resolves.toBe('1');
      expect(Logger.prototype.error).toHaveBeenCalledTimes(1);
      expect(Logger.prototype.error).toHaveBeenCalledWith(
        'Redis is unavailable (connect ECONNREFUSED): failed logins are now counted in this process only, ' +
          'continuing from the last counts it saw; lockouts it knows of stay in force',
      );

      clientA.down = false;
      await expect(
        refusal(a.service, { accountId: randomUUID() }),
      ).resolves.toBeUndefined();
      await expect(
        refusal(a.service, { accountId: randomUUID() }),
      ).resolves.toBeUndefined();
      expect(Logger.prototype.warn).toHaveBeenCalledTimes(1);
      expect(Logger.prototype.warn).toHaveBeenCalledWith(
        'Redis answers again: failed logins are counted across all instances again',
      );
    });

    it('grants no more attempts than the limit when Redis fails mid-burst', async () => {
      const subject = { accountId: randomUUID() };
      await Promise.all([a.service.begin(subject), a.service.begin(subject)]);
      clientA.down = true;
      await expect(refusal(a.service, subject)).resolves.toBeDefined();
    });

    it('holds no slot for a refused reservation, and frees the slots Redis granted once settled', async () => {
      const subject = { accountId: randomUUID() };
      const granted = await Promise.all([
        a.service.begin(subject),
        a.service.begin(subject),
      ]);
      await expect(refusal(a.service, subject)).resolves.toBe('1');
      await Promise.all(granted.map((attempt) => attempt.abandoned()));
      await expect(refusal(a.service, subject)).resolves.toBeUndefined();
      clientA.down = true;
      await expect(refusal(a.service, subject)).resolves.toBeUndefined();
      await expect(refusal(a.service, subject)).resolves.toBeDefined();
    });

    it('keeps counting attempts in flight across a password reset, in Redis and after it fails', async () => {
      const subject = { accountId: randomUUID() };
      await Promise.all([a.service.begin(subject), a.service.begin(subject)]);
      await a.service.passwordReset(reset(subject.accountId));
      await expect(refusal(b.service, subject)).resolves.toBeDefined();
      clientA.down = true;
      await expect(refusal(a.service, subject)).resolves.toBeDefined();
    });

    it('does not let Redis release a reservation it did not grant, but frees it in this process', async () => {
      const subject = { accountId: randomUUID() };
      clientA.down = true;
      const [local] = await Promise.all([
        a.service.begin(subject),
        a.service.begin(subject),
      ]);
      clientA.down = false;
      await b.service.begin(subject);
      await local.abandoned();
      await b.service.begin(subject);
      await expect(refusal(b.service, subject)).resolves.toBeDefined();
      // One of its two reservations settled: this process has a slot left when Redis fails again.
      clientA.down = true;
      await expect(refusal(a.service, subject)).resolves.toBeUndefined();
    });
  });
});
