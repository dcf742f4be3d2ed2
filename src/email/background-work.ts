import { Logger } from '@nestjs/common';

/**
 * Work a request starts but does not wait for (so its answer takes the same time whatever the work finds), kept
 * track of so shutdown can wait for it and a failure is logged instead of lost.
 */
export class BackgroundWork {
  private readonly running = new Set<Promise<void>>();

  constructor(private readonly logger: Logger) {}

  start(label: string, work: () => Promise<void>): void {
    const task = Promise.resolve()
      .then(work)
      .catch((error: Error) =>
        this.logger.error({ event: `${label}_failed`, err: error }),
      )
      .finally(() => this.running.delete(task));
    this.running.add(task);
  }

  /** Resolves once everything started so far has settled. */
  async settled(): Promise<void> {
    while (this.running.size > 0) await Promise.all([...this.running]);
  }
}
