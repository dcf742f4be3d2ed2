import type { SchedulerRegistry } from '@nestjs/schedule';

/**
 * Rejects with "no answer within <ms> ms" when `work` has not settled in time; the timer is cleared as soon as it
 * settles and never keeps the process alive.
 */
export function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`no answer within ${ms} ms`)),
      ms,
    );
    timer.unref();
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Runs `task` every `ms` as the interval `name` of the SchedulerRegistry, where it is listed and cleared on
 * shutdown; it never keeps the process alive on its own.
 */
export function addInterval(
  scheduler: SchedulerRegistry,
  name: string,
  ms: number,
  task: () => void,
): void {
  const timer = setInterval(task, ms);
  timer.unref();
  scheduler.addInterval(name, timer);
}

/** Stops the interval `name`; a no-op when it never started or ScheduleModule already cleared it. */
export function deleteInterval(
  scheduler: SchedulerRegistry,
  name: string,
): void {
  if (scheduler.doesExist('interval', name)) scheduler.deleteInterval(name);
}
