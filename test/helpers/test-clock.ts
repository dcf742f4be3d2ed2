import { Clock } from 'src/common/clock';

/** A clock tests can move forward instead of sleeping. */
export class TestClock extends Clock {
  private offsetMs = 0;
  private frozenAt?: number;

  now(): Date {
    return new Date((this.frozenAt ?? Date.now()) + this.offsetMs);
  }

  /** Stops the clock at the start of the next whole second, so what follows happens within one second. */
  freezeAtWholeSecond(): void {
    this.frozenAt = Math.ceil(Date.now() / 1000) * 1000 + 1;
  }

  advance(seconds: number): void {
    this.offsetMs += seconds * 1000;
  }

  reset(): void {
    this.offsetMs = 0;
    this.frozenAt = undefined;
  }
}
