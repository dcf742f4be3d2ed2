import { verify } from '@node-rs/argon2';
import { MAX_CONCURRENT_HASHES, PasswordService } from './password.service';

jest.mock('@node-rs/argon2', () => ({
  hash: jest.fn(() => Promise.resolve('$argon2id$dummy')),
  verify: jest.fn(),
}));

describe(PasswordService.name, () => {
  it('runs at most one hash per core at once, and serves every waiting caller in turn', async () => {
    let running = 0;
    let peak = 0;
    const finish: (() => void)[] = [];
    jest.mocked(verify).mockImplementation(() => {
      running += 1;
      peak = Math.max(peak, running);
      return new Promise<boolean>((resolve) =>
        finish.push(() => {
          running -= 1;
          resolve(true);
        }),
      );
    });
    const service = new PasswordService();
    const callers = MAX_CONCURRENT_HASHES * 3;
    const results = Array.from({ length: callers }, () =>
      service.verify('$argon2id$stored', 'password'),
    );
    let settled = 0;
    while (settled < callers) {
      await new Promise((resolve) => setImmediate(resolve));
      expect(running).toBeLessThanOrEqual(MAX_CONCURRENT_HASHES);
      const batch = finish.splice(0);
      expect(batch.length).toBeGreaterThan(0);
      batch.forEach((done) => done());
      settled += batch.length;
    }
    await expect(Promise.all(results)).resolves.toEqual(
      Array.from({ length: callers }, () => true),
    );
    expect(peak).toBe(MAX_CONCURRENT_HASHES);
    expect(service.verifications).toBe(callers);
  });

  it('frees the slot when a hash fails, so later callers still run', async () => {
    jest.mocked(verify).mockRejectedValue(new Error('malformed hash'));
    const service = new PasswordService();
    const answers = await Promise.all(
      Array.from({ length: MAX_CONCURRENT_HASHES + 2 }, () =>
        service.verify('not-a-hash', 'password'),
      ),
    );
    expect(answers.every((a) => a === false)).toBe(true);
    jest.mocked(verify).mockResolvedValue(true);
    await expect(service.verify('$argon2id$stored', 'password')).resolves.toBe(
      true,
    );
  });
});
