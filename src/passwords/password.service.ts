import { randomBytes } from 'node:crypto';
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
 * Hashes and verifies passwords with argon2id. @node-rs/argon2 runs on libuv's thread pool, so the event loop
 * keeps serving other requests while a hash is computed.
 */
@Injectable()
export class PasswordService implements OnModuleInit {
  private dummyHash: string;
  /** Number of verifications performed; lets tests prove that locked-out attempts never reach the hash. */
  verifications = 0;

  async onModuleInit(): Promise<void> {
    this.dummyHash = await hash(
      randomBytes(32).toString('base64'),
      ARGON2_OPTIONS,
    );
  }

  hash(password: string): Promise<string> {
    return hash(password, ARGON2_OPTIONS);
  }

  async verify(passwordHash: string, password: string): Promise<boolean> {
    this.verifications += 1;
    try {
      return await verify(passwordHash, password);
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
