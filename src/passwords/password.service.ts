import { randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { Injectable, OnModuleInit } from '@nestjs/common';
import { type Algorithm, hash, verify } from '@node-rs/argon2';
import pLimit from 'p-limit';

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
 * threads against 109/s with 4 on this machine; issue 7, `npm run bench`). Waiting logins are served in order.
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
  /** Number of verifications performed; lets tests prove that locked-out attempts never reach the hash. */
  verifications = 0;

  async onModuleInit(): Promise<void> {
    this.dummyHash = await hash(
      randomBytes(32).toString('base64'),
      ARGON2_OPTIONS,
    );
  }

  hash(password: string): Promise<string> {
    return this.slots(() => hash(password, ARGON2_OPTIONS));
  }

  async verify(passwordHash: string, password: string): Promise<boolean> {
    this.verifications += 1;
    try {
      return await this.slots(() => verify(passwordHash, password));
    } catch {
      return false;
    }
  }

  /** Compare against a dummy hash so an unknown user costs the same time as a wrong password. */
  async verifyDummy(password: string): Promise<false> {
    await this.verify(this.dummyHash, password);
    return false;
  }
}
