import { SchedulerRegistry } from '@nestjs/schedule';
import { addInterval, deleteInterval, withTimeout } from './timers';

describe(withTimeout.name, () => {
  afterEach(() => jest.useRealTimers());

  it('passes the answer through when it comes in time', async () => {
    await expect(withTimeout(Promise.resolve('pong'), 50)).resolves.toBe(
      'pong',
    );
  });

  it('rejects naming the wait when no answer comes in time', async () => {
    jest.useFakeTimers();
    const pending = withTimeout(new Promise<never>(() => undefined), 2_000);
    const assertion = expect(pending).rejects.toThrow(
      'no answer within 2000 ms',
    );
    await jest.advanceTimersByTimeAsync(2_000);
    await assertion;
  });
});

describe(addInterval.name, () => {
  afterEach(() => jest.useRealTimers());

  it('runs the task every period under its name until it is deleted', async () => {
    jest.useFakeTimers();
    const scheduler = new SchedulerRegistry();
    const task = jest.fn();
    addInterval(scheduler, 'test.chore', 1_000, task);
    expect(scheduler.getIntervals()).toEqual(['test.chore']);
    await jest.advanceTimersByTimeAsync(3_000);
    expect(task).toHaveBeenCalledTimes(3);
    deleteInterval(scheduler, 'test.chore');
    deleteInterval(scheduler, 'test.chore');
    await jest.advanceTimersByTimeAsync(3_000);
    expect(task).toHaveBeenCalledTimes(3);
    expect(scheduler.getIntervals()).toEqual([]);
  });
});
