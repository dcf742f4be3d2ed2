import { BoundedMap } from 'src/common/bounded-map';
import {
  EMPTY_COUNTERS,
  isIdle,
  type LoginAttemptCounters,
  type LoginAttemptOp,
  type LoginAttemptPolicy,
  type LoginAttemptStep,
  step,
} from './login-attempts.policy';

/** Where lockout counters live; every operation is atomic per key. */
export interface LoginAttemptStore {
  apply(
    key: string,
    op: LoginAttemptOp,
    now: number,
    release: boolean,
  ): Promise<LoginAttemptStep>;
}

/** Bounds memory when someone sprays many distinct login names; the oldest entries go first. */
const MAX_ENTRIES = 100_000;

/**
 * Counters in this process. Atomic because `apply` never awaits between reading and writing an entry.
 * With Redis configured it also holds the last counters Redis returned, so an outage continues from them.
 */
export class MemoryLoginAttemptStore implements LoginAttemptStore {
  private readonly entries = new BoundedMap<string, LoginAttemptCounters>(
    MAX_ENTRIES,
  );

  constructor(private readonly policy: LoginAttemptPolicy) {}

  apply(
    key: string,
    op: LoginAttemptOp,
    now: number,
    release: boolean,
  ): Promise<LoginAttemptStep> {
    const result = step(
      this.entries.get(key) ?? EMPTY_COUNTERS,
      op,
      now,
      this.policy,
      release,
    );
    this.save(key, result.counters);
    return Promise.resolve(result);
  }

  /** The account's lock end as this process last knew it (0 when none). */
  lockedUntil(key: string): number {
    return this.entries.get(key)?.lockedUntil ?? 0;
  }

  /**
   * Takes over counters from the shared store. The in-flight count stays this process's own: every reservation it
   * holds, whichever store granted it, so that falling back here mid-burst cannot grant more than the limit.
   */
  mirror(
    key: string,
    counters: LoginAttemptCounters,
    inFlightDelta: number,
    now: number,
  ): void {
    const own = this.entries.get(key);
    this.save(key, {
      ...counters,
      inFlight: Math.max(0, (own?.inFlight ?? 0) + inFlightDelta),
      inFlightUntil:
        inFlightDelta > 0
          ? now + this.policy.inFlightTtlMs
          : (own?.inFlightUntil ?? 0),
    });
  }

  sweep(now: number): void {
    for (const [key, counters] of this.entries)
      if (isIdle(counters, now, this.policy)) this.entries.delete(key);
  }

  get size(): number {
    return this.entries.size;
  }

  private save(key: string, counters: LoginAttemptCounters): void {
    this.entries.set(key, counters);
  }
}
