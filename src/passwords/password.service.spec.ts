import { hash, verify } from '@node-rs/argon2';
import type { EventEmitter2 } from '@nestjs/event-emitter';
import { DomainEvent } from 'src/events/domain-events';
import { HashQueueFullError } from './password.errors';
import { MAX_CONCURRENT_HASHES, PasswordService } from './password.service';

jest.mock('@node-rs/argon2', () => ({
  hash: jest.fn(() => Promise.resolve('$argon2id$dummy')),
  verify: jest.fn(),
}));

/** A service whose hashes wait at most `maxQueueWaitMs` for a slot, and the refusals it announces. */
function serviceWith(maxQueueWaitMs = 5_000) {
  const metrics = { hashQueueRejected: jest.fn() };
  const events = {
    emit: jest.fn((event: string) => {
      if (event === DomainEvent.HashQueueRejected) metrics.hashQueueRejected();
      return true;
    }),
  };
  const service = new PasswordService(
    { maxQueueWaitMs },
    events as unknown as EventEmitter2,
  );
  return { service, metrics };
}

/** Makes argon2's verify wait until the test lets it finish; returns the ones started so far. */
function holdVerifies(): (() => void)[] {
  const finish: (() => void)[] = [];
  jest
    .mocked(verify)
    .mockImplementation(
      () => new Promise<boolean>((resolve) => finish.push(() => resolve(true))),
    );
  return finish;
}

describe(PasswordService.name, () => {
  afterEach(() => {
    jest.useRealTimers();
    jest.mocked(verify).mockReset();
    jest.mocked(hash).mockClear();
  });

  it('runs at most one hash per core at once, and serves every waiting caller in turn', async () => {
    let running = 0;
    let peak = 0;
    const finish: (() => void)[] = [];
    jest.mocked(verify).mockImplementation(() => {
      running += 1;
      peak = Math.max(peak, running);
      return new Promise<boolean>((resolve) =>
        finish.push(() => {
          running -= 1;
          resolve(true);
        }),
      );
    });
    const { service } = serviceWith();
    const callers = MAX_CONCURRENT_HASHES * 3;
    const results = Array.from({ length: callers }, () =>
      service.verify('$argon2id$stored', 'password'),
    );
    let settled = 0;
    while (settled < callers) {
      await new Promise((resolve) => setImmediate(resolve));
      expect(running).toBeLessThanOrEqual(MAX_CONCURRENT_HASHES);
      const batch = finish.splice(0);
      expect(batch.length).toBeGreaterThan(0);
      batch.forEach((done) => done());
      settled += batch.length;
    }
    await expect(Promise.all(results)).resolves.toEqual(
      Array.from({ length: callers }, () => true),
    );
    expect(peak).toBe(MAX_CONCURRENT_HASHES);
    expect(jest.mocked(verify)).toHaveBeenCalledTimes(callers);
  });

  it('frees the slot when a hash fails, so later callers still run', async () => {
    jest.mocked(verify).mockRejectedValue(new Error('malformed hash'));
    const { service } = serviceWith();
    const answers = await Promise.all(
      Array.from({ length: MAX_CONCURRENT_HASHES + 2 }, () =>
        service.verify('not-a-hash', 'password'),
      ),
    );
    expect(answers.every((a) => a === false)).toBe(true);
    jest.mocked(verify).mockResolvedValue(true);
    await expect(service.verify('$argon2id$stored', 'password')).resolves.toBe(
      true,
    );
  });

  it('refuses a hash that waited HASH_QUEUE_MAX_WAIT for a slot with a 503 and Retry-After, counts it, and never runs it', async () => {
    jest.useFakeTimers({
      doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'],
    });
    const finish = holdVerifies();
    const { service, metrics } = serviceWith(5_000);
    const running = Array.from({ length: MAX_CONCURRENT_HASHES }, () =>
      service.verify('$argon2id$stored', 'password'),
    );
    const waiting = [
      service.verify('$argon2id$stored', 'password'),
      service.hash('a new password'),
    ];
    const outcomes = Promise.allSettled(waiting);
    await jest.advanceTimersByTimeAsync(4_999);
    expect(metrics.hashQueueRejected).not.toHaveBeenCalled();
    await jest.advanceTimersByTimeAsync(1);

    const refused = await outcomes;
    for (const outcome of refused) {
      expect(outcome.status).toBe('rejected');
      const error = (outcome as PromiseRejectedResult)
        .reason as HashQueueFullError;
      expect(error).toBeInstanceOf(HashQueueFullError);
      expect(error.status).toBe(503);
      expect(error.code).toBe('PASSWORDS.QUEUE_FULL');
      expect(error.headers).toEqual({ 'retry-after': '5' });
    }
    expect(metrics.hashQueueRejected).toHaveBeenCalledTimes(2);

    // The slots come free: the refused hashes are skipped, never computed, and the queue keeps serving.
    finish.splice(0).forEach((done) => done());
    await expect(Promise.all(running)).resolves.toEqual(
      running.map(() => true),
    );
    const later = service.verify('$argon2id$stored', 'password');
    await jest.advanceTimersByTimeAsync(0);
    finish.splice(0).forEach((done) => done());
    await expect(later).resolves.toBe(true);
    expect(jest.mocked(verify)).toHaveBeenCalledTimes(
      MAX_CONCURRENT_HASHES + 1,
    );
    expect(jest.mocked(hash)).not.toHaveBeenCalled();
  });

  it('serves a waiting hash whose slot frees up within the wait, and with no wait at all refuses only when every slot is busy', async () => {
    jest.useFakeTimers({
      doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'],
    });
    const finish = holdVerifies();
    const patient = serviceWith(5_000);
    const running = Array.from({ length: MAX_CONCURRENT_HASHES }, () =>
      patient.service.verify('$argon2id$stored', 'password'),
    );
    const waiting = patient.service.verify('$argon2id$stored', 'password');
    await jest.advanceTimersByTimeAsync(4_000);
    finish.splice(0).forEach((done) => done());
    await jest.advanceTimersByTimeAsync(0);
    finish.splice(0).forEach((done) => done());
    await expect(Promise.all([...running, waiting])).resolves.toEqual(
      [...running, waiting].map(() => true),
    );
    await jest.advanceTimersByTimeAsync(5_000);
    expect(patient.metrics.hashQueueRejected).not.toHaveBeenCalled();

    const hasty = serviceWith(0);
    const free = Array.from({ length: MAX_CONCURRENT_HASHES }, () =>
      hasty.service.verify('$argon2id$stored', 'password'),
    );
    const beyond = expect(
      hasty.service.verify('$argon2id$stored', 'password'),
    ).rejects.toBeInstanceOf(HashQueueFullError);
    await jest.advanceTimersByTimeAsync(1);
    await beyond;
    finish.splice(0).forEach((done) => done());
    await expect(Promise.all(free)).resolves.toEqual(free.map(() => true));
    expect(hasty.metrics.hashQueueRejected).toHaveBeenCalledTimes(1);
  });
});
