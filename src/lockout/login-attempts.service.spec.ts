import { randomUUID } from 'node:crypto';
import type Redis from 'ioredis';
import type { EventEmitter2 } from '@nestjs/event-emitter';
import { SchedulerRegistry } from '@nestjs/schedule';
import type { RedisService } from 'src/redis/redis.module';
import { describeWithRedis } from 'test/helpers/services';
import { TestClock } from 'test/helpers/test-clock';
import { loginAttemptsConfig } from 'src/config/login-attempts.config';
import { TooManyLoginAttemptsError } from './login-attempts.errors';
import { LoginAttemptsService } from './login-attempts.service';

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
