import { Logger } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import type { EventEmitter2 } from '@nestjs/event-emitter';
import { Clock } from 'src/common/clock';
import type { sessionConfig } from 'src/config/session.config';
import { DomainEvent } from 'src/events/domain-events';
import type { AccessTokenService } from 'src/keys/access-token.service';
import {
  generateRefreshToken,
  hashRefreshToken,
  sealSuccessor,
} from './refresh-token';
import type { RevocationService } from 'src/revocation/revocation.service';
import type { Session, TokenPair } from './session';
import { InvalidRefreshTokenError } from './sessions.errors';
import type {
  RefreshTokenLookup,
  RefreshTokensRepository,
} from './refresh-tokens.repository';
import type { SessionsRepository } from './sessions.repository';
import { RefreshRotationService } from './refresh-rotation.service';
import { SessionsService } from './sessions.service';
import { TokenPairIssuer } from './token-pair.issuer';

const NOW = new Date('2026-01-01T12:00:00Z');
const CLIENT = { ip: '203.0.113.9', userAgent: 'spec' };

class FixedClock extends Clock {
  now(): Date {
    return new Date(NOW);
  }
}

function session(overrides: Partial<Session> = {}): Session {
  return {
    id: 'session-1',
    userId: 'user-1',
    createdAt: new Date(NOW.getTime() - 3600_000),
    lastUsedAt: new Date(NOW.getTime() - 60_000),
    idleExpiresAt: new Date(NOW.getTime() + 3600_000),
    expiresAt: new Date(NOW.getTime() + 7200_000),
    revokedAt: null,
    userAgent: null,
    ip: null,
    amr: ['pwd', 'otp', 'mfa'],
    authTime: new Date(NOW.getTime() - 3600_000),
    ...overrides,
  };
}

function lookup(
  overrides: Partial<RefreshTokenLookup> = {},
): RefreshTokenLookup {
  return {
    tokenId: 'token-1',
    consumedAt: null,
    successor: null,
    session: session(),
    user: {
      id: 'user-1',
      username: 'alice',
      roles: ['user'],
      tokenVersion: 0,
      emailVerified: false,
      disabled: false,
    },
    ...overrides,
  };
}

function setup(found: RefreshTokenLookup | undefined, reuseGraceSeconds = 10) {
  const repository = {
    findRefreshToken: jest.fn(() => Promise.resolve(found)),
    rotate: jest.fn(() => Promise.resolve(true)),
    findTokenState: jest.fn(),
    end: jest.fn(() => Promise.resolve()),
  };
  const revocations = { revokeSessions: jest.fn(() => Promise.resolve()) };
  const events = { emit: jest.fn(() => true) };
  const accessTokens = {
    sign: jest.fn(() => ({ token: 'new.access.token', expiresIn: 900 })),
  };
  const config: ConfigType<typeof sessionConfig> = {
    reuseGraceSeconds,
    idleTtlSeconds: 3600,
    maxTtlSeconds: 7200,
    purgeIntervalSeconds: 3600,
  };
  const issuer = new TokenPairIssuer(
    accessTokens as unknown as AccessTokenService,
  );
  const clock = new FixedClock();
  const emitter = events as unknown as EventEmitter2;
  // One fake answers for both repositories: sessions' rows and their refresh tokens.
  const tokens = repository as unknown as RefreshTokensRepository;
  const sessions = new SessionsService(
    repository as unknown as SessionsRepository,
    tokens,
    revocations as unknown as RevocationService,
    issuer,
    clock,
    emitter,
    config,
  );
  const service = new RefreshRotationService(
    tokens,
    sessions,
    issuer,
    clock,
    emitter,
    config,
  );
  return { service, repository, revocations, accessTokens, events };
}

const announced = (outcome: 'rotated' | 'grace') =>
  [
    DomainEvent.RefreshRotated,
    { outcome, sessionId: 'session-1', userId: 'user-1' },
  ] as const;

describe(RefreshRotationService.name, () => {
  beforeEach(() => {
    jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
  });
  afterEach(() => jest.restoreAllMocks());

  it('refuses a malformed token without touching the database', async () => {
    const { service, repository } = setup(lookup());
    await expect(service.refresh('not-a-token', CLIENT)).rejects.toBeInstanceOf(
      InvalidRefreshTokenError,
    );
    expect(repository.findRefreshToken).not.toHaveBeenCalled();
  });

  it('looks the token up by its hash and rotates it once', async () => {
    const { service, repository, events } = setup(lookup());
    const presented = generateRefreshToken();
    const pair = await service.refresh(presented, CLIENT);
    expect(events.emit).toHaveBeenCalledWith(...announced('rotated'));
    expect(repository.findRefreshToken).toHaveBeenCalledWith(
      hashRefreshToken(presented),
    );
    expect(repository.rotate).toHaveBeenCalledWith(
      expect.objectContaining({
        tokenId: 'token-1',
        newTokenHash: hashRefreshToken(pair.refresh_token),
        idleExpiresAt: new Date(NOW.getTime() + 3600_000),
      }),
    );
    expect(pair.refresh_expires_in).toBe(3600);
  });

  it('signs the new access token with the session’s sign-in methods and time, not the refresh’s', async () => {
    const { service, accessTokens } = setup(lookup());
    await service.refresh(generateRefreshToken(), CLIENT);
    expect(accessTokens.sign).toHaveBeenCalledWith(
      expect.objectContaining({
        sessionId: 'session-1',
        amr: ['pwd', 'otp', 'mfa'],
        authTime: new Date(NOW.getTime() - 3600_000),
      }),
    );
  });

  it('answers the loser of a race with the winner’s pair', async () => {
    const { service, repository, events } = setup(lookup());
    const presented = generateRefreshToken();
    const winners: TokenPair = {
      access_token: 'winner.access.token',
      token_type: 'Bearer',
      expires_in: 900,
      refresh_token: generateRefreshToken(),
      refresh_expires_in: 3600,
    };
    repository.rotate.mockResolvedValue(false);
    repository.findTokenState.mockResolvedValue({
      consumedAt: new Date(NOW.getTime() - 1),
      successor: sealSuccessor(presented, winners),
      sessionRevokedAt: null,
    });
    await expect(service.refresh(presented, CLIENT)).resolves.toEqual(winners);
    expect(events.emit).toHaveBeenCalledWith(...announced('grace'));
  });

  it('refuses, instead of answering with an unstored pair, when the session ended during the rotation', async () => {
    const { service, repository } = setup(lookup());
    const presented = generateRefreshToken();
    repository.rotate.mockResolvedValue(false);
    repository.findTokenState.mockImplementation(() => {
      // Consumed by this very call, but the successor insert was skipped because a logout got there first.
      const [input] = repository.rotate.mock.calls[0] as unknown as [
        { sealedSuccessor: string },
      ];
      return Promise.resolve({
        consumedAt: NOW,
        successor: input.sealedSuccessor,
        sessionRevokedAt: NOW,
      });
    });
    await expect(service.refresh(presented, CLIENT)).rejects.toBeInstanceOf(
      InvalidRefreshTokenError,
    );
  });

  describe('a consumed token presented again', () => {
    const pair: TokenPair = {
      access_token: 'stored.access.token',
      token_type: 'Bearer',
      expires_in: 900,
      refresh_token: generateRefreshToken(),
      refresh_expires_in: 3600,
    };

    it('gets the stored pair up to the last millisecond of the grace window', async () => {
      const presented = generateRefreshToken();
      const { service, repository } = setup(
        lookup({
          consumedAt: new Date(NOW.getTime() - 10_000),
          successor: sealSuccessor(presented, pair),
        }),
      );
      await expect(service.refresh(presented, CLIENT)).resolves.toEqual(pair);
      expect(repository.end).not.toHaveBeenCalled();
    });

    it('ends the session, inside the grace window too, when the stored pair does not open with it', async () => {
      const presented = generateRefreshToken();
      const { service, repository } = setup(
        lookup({
          consumedAt: new Date(NOW.getTime() - 1),
          successor: sealSuccessor(generateRefreshToken(), pair),
        }),
      );
      await expect(service.refresh(presented, CLIENT)).rejects.toBeInstanceOf(
        InvalidRefreshTokenError,
      );
      expect(repository.end).toHaveBeenCalledWith(
        ['session-1'],
        'refresh_token_reuse',
        NOW,
      );
    });

    it('ends the session at once when REFRESH_REUSE_GRACE is 0, even in the same millisecond', async () => {
      const presented = generateRefreshToken();
      const { service, repository } = setup(
        lookup({ consumedAt: NOW, successor: sealSuccessor(presented, pair) }),
        0,
      );
      await expect(service.refresh(presented, CLIENT)).rejects.toBeInstanceOf(
        InvalidRefreshTokenError,
      );
      expect(repository.end).toHaveBeenCalledWith(
        ['session-1'],
        'refresh_token_reuse',
        NOW,
      );
    });
  });

  it('ends the session when a consumed token is presented after the grace window', async () => {
    const presented = generateRefreshToken();
    const { service, repository, revocations, events } = setup(
      lookup({
        consumedAt: new Date(NOW.getTime() - 10_001),
        successor: sealSuccessor(presented, { any: 'pair' }),
      }),
    );
    await expect(service.refresh(presented, CLIENT)).rejects.toBeInstanceOf(
      InvalidRefreshTokenError,
    );
    expect(repository.end).toHaveBeenCalledWith(
      ['session-1'],
      'refresh_token_reuse',
      NOW,
    );
    expect(revocations.revokeSessions).toHaveBeenCalledWith(['session-1']);
    expect(events.emit).toHaveBeenCalledWith(DomainEvent.RefreshReuseDetected, {
      userId: 'user-1',
      sessionId: 'session-1',
      client: CLIENT,
    });
    expect(events.emit).not.toHaveBeenCalledWith(
      DomainEvent.RefreshRotated,
      expect.anything(),
    );
    expect(Logger.prototype.warn).toHaveBeenCalledWith(
      expect.objectContaining({
        event: 'refresh_token_reuse',
        sessionId: 'session-1',
        userId: 'user-1',
      }),
    );
  });

  it('rotates only at the token version the new pair was signed with', async () => {
    const found = lookup();
    found.user.tokenVersion = 4;
    const { service, repository, accessTokens } = setup(found);
    await service.refresh(generateRefreshToken(), CLIENT);
    expect(accessTokens.sign).toHaveBeenCalledWith(
      expect.objectContaining({ tokenVersion: 4, roles: ['user'] }),
    );
    expect(repository.rotate).toHaveBeenCalledWith(
      expect.objectContaining({ userId: 'user-1', tokenVersion: 4 }),
    );
  });

  it('reads the owner again once when a role change landed between the read and the rotation', async () => {
    const before = lookup();
    const after = lookup({
      user: {
        id: 'user-1',
        username: 'alice',
        roles: ['admin'],
        tokenVersion: 1,
        emailVerified: false,
        disabled: false,
      },
    });
    const { service, repository, accessTokens, events } = setup(before);
    repository.findRefreshToken
      .mockResolvedValueOnce(before)
      .mockResolvedValueOnce(after);
    repository.rotate.mockResolvedValueOnce(false).mockResolvedValueOnce(true);
    repository.findTokenState.mockResolvedValue({
      consumedAt: null,
      successor: null,
      sessionRevokedAt: null,
    });
    await service.refresh(generateRefreshToken(), CLIENT);
    expect(events.emit).toHaveBeenCalledWith(...announced('rotated'));
    expect(accessTokens.sign).toHaveBeenLastCalledWith(
      expect.objectContaining({ roles: ['admin'], tokenVersion: 1 }),
    );
  });

  it('refuses when the owner keeps changing under the rotation', async () => {
    const { service, repository } = setup(lookup());
    repository.rotate.mockResolvedValue(false);
    repository.findTokenState.mockResolvedValue({
      consumedAt: null,
      successor: null,
      sessionRevokedAt: null,
    });
    await expect(
      service.refresh(generateRefreshToken(), CLIENT),
    ).rejects.toBeInstanceOf(InvalidRefreshTokenError);
    expect(repository.rotate).toHaveBeenCalledTimes(2);
  });

  it.each([
    ['revoked', lookup({ session: session({ revokedAt: NOW }) })],
    ['idle', lookup({ session: session({ idleExpiresAt: NOW }) })],
    ['past its absolute end', lookup({ session: session({ expiresAt: NOW }) })],
    [
      'of a disabled user',
      lookup({
        user: {
          id: 'user-1',
          username: 'a',
          roles: [],
          tokenVersion: 0,
          emailVerified: false,
          disabled: true,
        },
      }),
    ],
  ])('refuses a session that is %s without rotating', async (_label, found) => {
    const { service, repository } = setup(found);
    await expect(
      service.refresh(generateRefreshToken(), CLIENT),
    ).rejects.toBeInstanceOf(InvalidRefreshTokenError);
    expect(repository.rotate).not.toHaveBeenCalled();
  });
});

describe(`${RefreshRotationService.name}: answers and announcements`, () => {
  beforeEach(() => {
    jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
  });
  afterEach(() => jest.restoreAllMocks());

  it('reads and rotates the token only once when nothing changed under it', async () => {
    const { service, repository, events } = setup(lookup());
    await service.refresh(generateRefreshToken(), CLIENT);
    expect(repository.findRefreshToken).toHaveBeenCalledTimes(1);
    expect(repository.rotate).toHaveBeenCalledTimes(1);
    expect(events.emit).toHaveBeenCalledTimes(1);
    expect(events.emit).toHaveBeenCalledWith(...announced('rotated'));
  });

  it('refuses an unknown token as invalid, not with a crash', async () => {
    const { service, repository } = setup(undefined);
    await expect(
      service.refresh(generateRefreshToken(), CLIENT),
    ).rejects.toBeInstanceOf(InvalidRefreshTokenError);
    expect(repository.rotate).not.toHaveBeenCalled();
  });

  it('tells the client to log in again when the session has expired', async () => {
    const { service } = setup(
      lookup({ session: session({ idleExpiresAt: NOW }) }),
    );
    await expect(
      service.refresh(generateRefreshToken(), CLIENT),
    ).rejects.toThrow('The session has expired; log in again.');
  });

  it('announces a replay inside the grace window as a grace answer', async () => {
    const presented = generateRefreshToken();
    const pair = { access_token: 'stored', refresh_token: 'x' };
    const { service, events } = setup(
      lookup({
        consumedAt: new Date(NOW.getTime() - 1),
        successor: sealSuccessor(presented, pair),
      }),
    );
    await expect(service.refresh(presented, CLIENT)).resolves.toEqual(pair);
    expect(events.emit).toHaveBeenCalledWith(...announced('grace'));
  });

  it('logs a reuse with a message saying the session was revoked', async () => {
    const presented = generateRefreshToken();
    const { service } = setup(
      lookup({
        consumedAt: new Date(NOW.getTime() - 10_001),
        successor: sealSuccessor(presented, { any: 'pair' }),
      }),
    );
    await expect(service.refresh(presented, CLIENT)).rejects.toBeInstanceOf(
      InvalidRefreshTokenError,
    );
    expect(Logger.prototype.warn).toHaveBeenCalledWith(
      expect.objectContaining({
        msg: 'refresh token reuse detected: session revoked',
      }),
    );
  });
});
