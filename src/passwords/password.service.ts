import { randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { type Algorithm, hash, verify } from '@node-rs/argon2';
import pLimit from 'p-limit';
import { DomainEvent } from 'src/events/domain-events';
import { passwordConfig } from 'src/config/password.config';
import { HashQueueFullError } from './password.errors';

/** OWASP's argon2id recommendation: 19 MiB memory, 2 iterations, 1 lane. */
export const ARGON2_OPTIONS = {
  // Algorithm.Argon2id; the enum is a declared const enum, which isolated compilation cannot inline.
  algorithm: 2 as Algorithm,
  memoryCost: 19_456,
  timeCost: 2,
  parallelism: 1,
} as const;

/**
 * At most one hash per core at a time. libuv's pool has 4 threads; on a 2-core machine 4 concurrent hashes plus the
 * event loop are 5 runnable threads for 2 cores, and during a login storm the p99 of protected GETs rose to 4× its
 * calm value. With one hash per core it stayed under 3×, and the raw hash rate did not drop (measured 119/s with 2
 * threads against 109/s with 4 on this machine; issue 7, `npm run bench`). Waiting logins are served in order, each
 * for at most HASH_QUEUE_MAX_WAIT: a queue without end let 40 concurrent password changes from one account delay an
 * unrelated login from 0.13 s to 0.9 s, and kept growing for as long as requests came faster than hashes.
 */
export const MAX_CONCURRENT_HASHES = availableParallelism();

/**
 * Hashes and verifies passwords with argon2id. @node-rs/argon2 computes the hash on libuv's thread pool, so the event
 * loop keeps serving other requests meanwhile; only the library's set-up before that (0.1–0.4 ms at these
 * parameters, growing with memoryCost; issue 7) runs on the calling thread.
 */
@Injectable()
export class PasswordService implements OnModuleInit {
  private dummyHash: string;
  private readonly slots = pLimit(MAX_CONCURRENT_HASHES);

  constructor(
    @Inject(passwordConfig.KEY)
    private readonly config: ConfigType<typeof passwordConfig>,
    private readonly events: EventEmitter2,
  ) {}

  async onModuleInit(): Promise<void> {
    this.dummyHash = await hash(
      randomBytes(32).toString('base64'),
      ARGON2_OPTIONS,
    );
  }

  /** Rejects with HashQueueFullError when no slot frees up within HASH_QUEUE_MAX_WAIT. */
  hash(password: string): Promise<string> {
    return this.inSlot(() => hash(password, ARGON2_OPTIONS));
  }

  /** False for a wrong password or an unreadable hash; rejects with HashQueueFullError like hash(). */
  verify(passwordHash: string, password: string): Promise<boolean> {
    return this.inSlot(() => verify(passwordHash, password).catch(() => false));
  }

  /** Compare against a dummy hash so an unknown user costs the same time as a wrong password. */
  async verifyDummy(password: string): Promise<false> {
    await this.verify(this.dummyHash, password);
    return false;
  }

  /**
   * Runs `task` in a hash slot, or refuses it once it has waited maxQueueWaitMs for one. A refused task never runs:
   * when its turn comes, the slot passes straight on. The wait is bounded in time rather than length so that a
   * login-attempt reservation made before it has a fixed lifetime to outlast (login-attempts.config.ts).
   */
  private inSlot<T>(task: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let refused = false;
      // Armed for every task: p-limit starts even a task with a free slot only after a microtask, before any timer.
      const timer = setTimeout(() => {
        refused = true;
        this.events.emit(DomainEvent.HashQueueRejected);
        reject(new HashQueueFullError(this.config.maxQueueWaitMs));
      }, this.config.maxQueueWaitMs);
      void this.slots(() => {
        clearTimeout(timer);
        if (refused) return Promise.resolve();
        // Through then(), so a task that throws instead of rejecting still settles the caller's promise.
        return Promise.resolve().then(task).then(resolve, reject);
      });
    });
  }
}
