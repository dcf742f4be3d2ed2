import { setTimeout as delay } from 'node:timers/promises';

export interface UntilOptions {
  /** How long the condition may take to hold; 5 s unless given. */
  timeoutMs?: number;
  /** Pause between two checks; 0 checks again after each turn of the event loop. 50 ms unless given. */
  intervalMs?: number;
}

/**
 * Resolves once `condition` holds, checked at once and then every `intervalMs`, and returns how long that took
 * (ms). Fails naming `what` when it does not hold within `timeoutMs`; an error thrown by `condition` ends the wait
 * at once (a process that exited will not become ready).
 */
export async function until(
  what: string | (() => string),
  condition: () => boolean | Promise<boolean>,
  { timeoutMs = 5_000, intervalMs = 50 }: UntilOptions = {},
): Promise<number> {
  const started = Date.now();
  for (;;) {
    if (await condition()) return Date.now() - started;
    if (Date.now() - started >= timeoutMs)
      throw new Error(
        `not within ${timeoutMs} ms: ${typeof what === 'string' ? what : what()}`,
      );
    if (intervalMs > 0) await delay(intervalMs);
    else await new Promise((resolve) => setImmediate(resolve));
  }
}
