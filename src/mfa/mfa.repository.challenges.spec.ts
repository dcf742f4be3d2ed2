import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import type { Database } from 'src/database/database.types';
import { insertUser, useMemoryDatabase } from 'test/helpers/memory-database';
import { mfaChallenges } from 'src/database/schema';
import { MfaRepository } from './mfa.repository';

const T0 = new Date('2026-12-03T12:00:00Z');

/**
 * A login challenge is found, charged an attempt and spent by conditional statements, so they are tested against
 * the real SQL: one in-memory PGlite with the project's migrations for the whole file.
 */
describe(`${MfaRepository.name} challenges`, () => {
  const database = useMemoryDatabase();
  let db: Database;
  let repository: MfaRepository;

  beforeAll(() => {
    db = database();
    repository = new MfaRepository(db);
  });

  const createUser = (): Promise<string> => insertUser(db);

  async function openChallenge(
    userId: string,
    expiresAt = new Date(T0.getTime() + 300_000),
  ): Promise<{ id: string; tokenHash: string }> {
    const tokenHash = `token-${randomUUID()}`;
    await repository.createChallenge({
      userId,
      tokenHash,
      ip: '203.0.113.7',
      userAgent: 'spec',
      createdAt: T0,
      expiresAt,
      firstFactor: 'pwd',
    });
    const [row] = await db
      .select({ id: mfaChallenges.id })
      .from(mfaChallenges)
      .where(eq(mfaChallenges.tokenHash, tokenHash));
    return { id: row.id, tokenHash };
  }

  describe('login challenges', () => {
    const MAX = 3;
    const END = new Date(T0.getTime() + 300_000);

    it('finds an open challenge by its token hash, with the login context it carries', async () => {
      const user = await createUser();
      await openChallenge(user);
      const { id, tokenHash } = await openChallenge(user);

      await expect(
        repository.findLiveChallenge(tokenHash, T0, MAX),
      ).resolves.toEqual({
        id,
        userId: user,
        ip: '203.0.113.7',
        userAgent: 'spec',
        firstFactor: 'pwd',
      });
    });

    it('finds no challenge for an unknown token hash', async () => {
      await expect(
        repository.findLiveChallenge('token-unknown', T0, MAX),
      ).resolves.toBeUndefined();
    });

    it('finds a challenge until the instant it ends, and not at that instant', async () => {
      const user = await createUser();
      const { tokenHash } = await openChallenge(user, END);

      await expect(
        repository.findLiveChallenge(
          tokenHash,
          new Date(END.getTime() - 1),
          MAX,
        ),
      ).resolves.toBeDefined();
      await expect(
        repository.findLiveChallenge(tokenHash, END, MAX),
      ).resolves.toBeUndefined();
    });

    it('finds no challenge that was spent, or whose attempts are all used', async () => {
      const user = await createUser();
      const spent = await openChallenge(user);
      const guessed = await openChallenge(user);
      await repository.completeChallenge(spent.id, T0);
      for (let i = 0; i < MAX; i += 1)
        await repository.reserveAttempt(guessed.id, T0, MAX);

      await expect(
        repository.findLiveChallenge(spent.tokenHash, T0, MAX),
      ).resolves.toBeUndefined();
      await expect(
        repository.findLiveChallenge(guessed.tokenHash, T0, MAX),
      ).resolves.toBeUndefined();
      await expect(
        repository.findLiveChallenge(guessed.tokenHash, T0, MAX + 1),
      ).resolves.toBeDefined();
    });

    it('reserves attempts one by one up to the limit, then none', async () => {
      const user = await createUser();
      const { id } = await openChallenge(user);

      const used: Array<number | undefined> = [];
      for (let i = 0; i <= MAX; i += 1)
        used.push(await repository.reserveAttempt(id, T0, MAX));

      expect(used).toEqual([1, 2, 3, undefined]);
    });

    it('lets a burst of concurrent guesses reserve no more than the limit', async () => {
      const user = await createUser();
      const { id } = await openChallenge(user);

      const used = await Promise.all(
        Array.from({ length: MAX + 3 }, () =>
          repository.reserveAttempt(id, T0, MAX),
        ),
      );

      expect(used.filter((n) => n !== undefined).sort()).toEqual([1, 2, 3]);
    });

    it("counts attempts per challenge: another challenge's guesses take none of them", async () => {
      const user = await createUser();
      const first = await openChallenge(user);
      const second = await openChallenge(user);
      await repository.reserveAttempt(first.id, T0, MAX);

      await expect(repository.reserveAttempt(second.id, T0, MAX)).resolves.toBe(
        1,
      );
    });

    it('reserves no attempt on an unknown, ended or spent challenge', async () => {
      const user = await createUser();
      const ended = await openChallenge(user, END);
      const spent = await openChallenge(user);
      await repository.completeChallenge(spent.id, T0);

      await expect(
        repository.reserveAttempt(randomUUID(), T0, MAX),
      ).resolves.toBeUndefined();
      await expect(
        repository.reserveAttempt(ended.id, END, MAX),
      ).resolves.toBeUndefined();
      await expect(
        repository.reserveAttempt(ended.id, new Date(END.getTime() - 1), MAX),
      ).resolves.toBe(1);
      await expect(
        repository.reserveAttempt(spent.id, T0, MAX),
      ).resolves.toBeUndefined();
    });

    it('spends a challenge once: the second completion is refused', async () => {
      const user = await createUser();
      const { id } = await openChallenge(user);

      await expect(repository.completeChallenge(id, T0)).resolves.toBe(true);
      await expect(repository.completeChallenge(id, T0)).resolves.toBe(false);
    });

    it('gives one success between two concurrent completions of one challenge', async () => {
      const user = await createUser();
      const { id } = await openChallenge(user);

      const results = await Promise.all([
        repository.completeChallenge(id, T0),
        repository.completeChallenge(id, T0),
      ]);

      expect(results.filter(Boolean)).toHaveLength(1);
    });

    it('completes only the challenge it names', async () => {
      const user = await createUser();
      const first = await openChallenge(user);
      const second = await openChallenge(user);

      await expect(repository.completeChallenge(first.id, T0)).resolves.toBe(
        true,
      );
      await expect(
        repository.findLiveChallenge(second.tokenHash, T0, MAX),
      ).resolves.toBeDefined();
      await expect(
        repository.completeChallenge(randomUUID(), T0),
      ).resolves.toBe(false);
    });
  });

  describe('removal', () => {
    async function liveTokens(userId: string): Promise<string[]> {
      const rows = await db
        .select({ tokenHash: mfaChallenges.tokenHash })
        .from(mfaChallenges)
        .where(eq(mfaChallenges.userId, userId));
      return rows.map((r) => r.tokenHash).sort();
    }

    it('deletes the challenge it names, and no other', async () => {
      const user = await createUser();
      const gone = await openChallenge(user);
      const kept = await openChallenge(user);

      await repository.deleteChallenge(gone.id);

      await expect(liveTokens(user)).resolves.toEqual([kept.tokenHash]);
    });

    it("deletes every challenge of a user, and no other user's", async () => {
      const user = await createUser();
      const other = await createUser();
      await openChallenge(user);
      await openChallenge(user);
      const kept = await openChallenge(other);

      await repository.deleteChallengesOf(user);

      await expect(liveTokens(user)).resolves.toEqual([]);
      await expect(liveTokens(other)).resolves.toEqual([kept.tokenHash]);
    });

    it('purges the challenges that ended before the given time, and counts them', async () => {
      const user = await createUser();
      // Before every other challenge of this file ends: the purge is not per user.
      const cut = new Date(T0.getTime() - 86_400_000);
      await openChallenge(user, new Date(cut.getTime() - 1));
      await openChallenge(user, new Date(cut.getTime() - 2));
      const atCut = await openChallenge(user, cut);

      await expect(repository.purgeChallenges(cut)).resolves.toBe(2);
      await expect(liveTokens(user)).resolves.toEqual([atCut.tokenHash]);
    });
  });
});
