import { randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { Injectable, OnModuleInit } from '@nestjs/common';
import { type Algorithm, hash, verify } from '@node-rs/argon2';

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
 * event loop make 5 runnable threads for 2 cores, so the event loop got 2/5 of a core during a login storm and every
 * other request waited (p99 of protected GETs 4× its calm value). With one hash per core the event loop competes
 * with fewer threads, and hashes run no slower: argon2's 19 MiB working set per hash thrashes caches when more run
 * than there are cores (issue 7, `npm run bench`).
 */
export const MAX_CONCURRENT_HASHES = availableParallelism();

/** Waiters for a hash slot, first come first served. */
class HashSlots {
  private free: number;
  private readonly waiting: (() => void)[] = [];

  constructor(slots: number) {
    this.free = slots;
  }

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.free > 0) this.free -= 1;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    try {
      return await work();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.free += 1;
    }
  }
}

/**
 * Hashes and verifies passwords with argon2id. @node-rs/argon2 runs on libuv's thread pool, so the event loop
 * keeps serving other requests while a hash is computed.
 */
@Injectable()
export class PasswordService implements OnModuleInit {
  private dummyHash: string;
  private readonly slots = new HashSlots(MAX_CONCURRENT_HASHES);
  /** Number of verifications performed; lets tests prove that locked-out attempts never reach the hash. */
  verifications = 0;

  async onModuleInit(): Promise<void> {
    this.dummyHash = await hash(
      randomBytes(32).toString('base64'),
      ARGON2_OPTIONS,
    );
  }

  hash(password: string): Promise<string> {
    return this.slots.run(() => hash(password, ARGON2_OPTIONS));
  }

  async verify(passwordHash: string, password: string): Promise<boolean> {
    this.verifications += 1;
    try {
      return await this.slots.run(() => verify(passwordHash, password));
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
