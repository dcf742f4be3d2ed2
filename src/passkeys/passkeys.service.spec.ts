import type { EventEmitter2 } from '@nestjs/event-emitter';
import {
  verifyAuthenticationResponse,
  type AuthenticationResponseJSON,
} from '@simplewebauthn/server';
import { Clock } from 'src/common/clock';
import { DomainEvent } from 'src/events/domain-events';
import type { SessionsService } from 'src/sessions/sessions.service';
import type { UsersService } from 'src/users/users.service';
import type {
  CeremonyKind,
  PasskeysRepository,
  StoredPasskey,
} from './passkeys.repository';
import { PasskeysService } from './passkeys.service';

jest.mock('@simplewebauthn/server', () => ({
  ...jest.requireActual<object>('@simplewebauthn/server'),
  verifyAuthenticationResponse: jest.fn(),
}));
const verify = jest.mocked(verifyAuthenticationResponse);

const ALICE = 'a11ce000-0000-4000-8000-00000000a11c';
const BOB = 'b0b00000-0000-4000-8000-00000000b0b0';
const CLIENT = { ip: '203.0.113.7' };
const T0 = new Date('2026-12-03T12:00:00Z');

class FixedClock extends Clock {
  at = T0;
  now(): Date {
    return this.at;
  }
}

/** The ceremony store and the passkeys table in memory, with the repository's semantics. */
class MemoryRepository {
  ceremonies = new Map<
    string,
    {
      kind: CeremonyKind;
      userId: string | null;
      challenge: string;
      expiresAt: Date;
    }
  >();
  passkeys: StoredPasskey[] = [];
  uses: Array<[string, number, number]> = [];
  private next = 0;

  createCeremony(c: {
    kind: CeremonyKind;
    userId: string | null;
    challenge: string;
    expiresAt: Date;
  }): Promise<string> {
    const id = `ceremony-${(this.next += 1)}`;
    this.ceremonies.set(id, c);
    return Promise.resolve(id);
  }

  takeCeremony(id: string, kind: CeremonyKind, now: Date) {
    const c = this.ceremonies.get(id);
    this.ceremonies.delete(id);
    if (!c || c.kind !== kind || c.expiresAt <= now)
      return Promise.resolve(undefined);
    return Promise.resolve({ userId: c.userId, challenge: c.challenge });
  }

  findByCredentialId(credentialId: string) {
    return Promise.resolve(
      this.passkeys.find((p) => p.credentialId === credentialId),
    );
  }

  listOf(userId: string) {
    return Promise.resolve(this.passkeys.filter((p) => p.userId === userId));
  }

  recordUse(id: string, stored: number, received: number) {
    const p = this.passkeys.find((x) => x.id === id);
    if (!p || p.counter !== stored) return Promise.resolve(false);
    p.counter = received;
    this.uses.push([id, stored, received]);
    return Promise.resolve(true);
  }
}

function passkey(overrides: Partial<StoredPasskey> = {}): StoredPasskey {
  return {
    id: 'pk-1',
    userId: ALICE,
    credentialId: 'cred-alice',
    publicKey: Buffer.from('public key').toString('base64url'),
    counter: 7,
    transports: ['internal'],
    backedUp: false,
    deviceType: 'singleDevice',
    name: 'Passkey',
    createdAt: T0,
    lastUsedAt: null,
    ...overrides,
  };
}

function assertion(
  credentialId = 'cred-alice',
  userHandle?: string,
): AuthenticationResponseJSON {
  return {
    id: credentialId,
    rawId: credentialId,
    type: 'public-key',
    clientExtensionResults: {},
    response: {
      clientDataJSON: 'x',
      authenticatorData: 'x',
      signature: 'x',
      ...(userHandle && { userHandle }),
    },
  };
}

function setup() {
  const repository = new MemoryRepository();
  repository.passkeys.push(passkey());
  const clock = new FixedClock();
  const sessions = {
    createSession: jest.fn(() =>
      Promise.resolve({ sessionId: 's-1', pair: { access_token: 'a' } }),
    ),
  };
  const events = { emit: jest.fn(() => true) };
  const service = new PasskeysService(
    repository as unknown as PasskeysRepository,
    {} as UsersService,
    sessions as unknown as SessionsService,
    events as unknown as EventEmitter2,
    clock,
    {
      enabled: true,
      rpId: 'localhost',
      rpName: 'Gatehouse',
      origins: ['http://localhost:3000'],
      ceremonyTtlSeconds: 300,
    },
  );
  return { service, repository, clock, sessions, events };
}

const verified = (newCounter: number) => ({
  verified: true,
  authenticationInfo: { newCounter } as never,
});

describe(PasskeysService.name, () => {
  afterEach(() => verify.mockReset());

  it('signs in with a verified assertion, records the new counter, and amr says hwk, user, mfa', async () => {
    const { service, repository, sessions } = setup();
    const { ceremonyId } = await service.loginOptions();
    verify.mockResolvedValue(verified(8));
    await service.login(ceremonyId, assertion(), CLIENT);
    expect(repository.uses).toEqual([['pk-1', 7, 8]]);
    expect(sessions.createSession).toHaveBeenCalledWith({ id: ALICE }, CLIENT, {
      amr: ['hwk', 'user', 'mfa'],
      authTime: T0,
    });
  });

  it('gives no session to a disabled or deleted owner, with the same 401', async () => {
    const { service, repository, sessions } = setup();
    sessions.createSession.mockResolvedValueOnce(undefined as never);
    const { ceremonyId } = await service.loginOptions();
    verify.mockResolvedValue(verified(8));
    await expect(
      service.login(ceremonyId, assertion(), CLIENT),
    ).rejects.toMatchObject({
      code: 'PASSKEYS.AUTHENTICATION_FAILED',
    });
    expect(repository.uses).toEqual([['pk-1', 7, 8]]);
  });

  it('spends the ceremony on the first attempt: the same response again is refused unchecked', async () => {
    const { service } = setup();
    const { ceremonyId } = await service.loginOptions();
    verify.mockResolvedValue(verified(8));
    await service.login(ceremonyId, assertion(), CLIENT);
    await expect(
      service.login(ceremonyId, assertion(), CLIENT),
    ).rejects.toMatchObject({
      code: 'PASSKEYS.AUTHENTICATION_FAILED',
    });
    expect(verify).toHaveBeenCalledTimes(1);
  });

  it('spends the ceremony even when the first attempt fails', async () => {
    const { service } = setup();
    const { ceremonyId } = await service.loginOptions();
    await expect(
      service.login(ceremonyId, assertion('unknown'), CLIENT),
    ).rejects.toBeDefined();
    verify.mockResolvedValue(verified(8));
    await expect(
      service.login(ceremonyId, assertion(), CLIENT),
    ).rejects.toMatchObject({
      code: 'PASSKEYS.AUTHENTICATION_FAILED',
    });
  });

  it('refuses an expired ceremony (5 minutes)', async () => {
    const { service, clock } = setup();
    const { ceremonyId } = await service.loginOptions();
    clock.at = new Date(T0.getTime() + 300_000);
    verify.mockResolvedValue(verified(8));
    await expect(
      service.login(ceremonyId, assertion(), CLIENT),
    ).rejects.toMatchObject({
      code: 'PASSKEYS.AUTHENTICATION_FAILED',
    });
  });

  it('refuses verified: false before touching the counter', async () => {
    const { service, repository, sessions } = setup();
    const { ceremonyId } = await service.loginOptions();
    verify.mockResolvedValue({
      verified: false,
      authenticationInfo: {} as never,
    });
    await expect(
      service.login(ceremonyId, assertion(), CLIENT),
    ).rejects.toMatchObject({
      code: 'PASSKEYS.AUTHENTICATION_FAILED',
    });
    expect(repository.passkeys[0].counter).toBe(7);
    expect(repository.uses).toEqual([]);
    expect(sessions.createSession).not.toHaveBeenCalled();
  });

  it('refuses a counter that does not rise, and reports a possible clone', async () => {
    const { service, repository, events } = setup();
    const { ceremonyId } = await service.loginOptions();
    verify.mockResolvedValue(verified(7));
    await expect(
      service.login(ceremonyId, assertion(), CLIENT),
    ).rejects.toMatchObject({
      code: 'PASSKEYS.AUTHENTICATION_FAILED',
    });
    expect(repository.passkeys[0].counter).toBe(7);
    expect(events.emit).toHaveBeenCalledWith(
      DomainEvent.PasskeyCloneSuspected,
      expect.objectContaining({ userId: ALICE, passkeyId: 'pk-1' }),
    );
  });

  it('refuses a library error (wrong origin, RP ID or challenge) as the same 401', async () => {
    const { service } = setup();
    const { ceremonyId } = await service.loginOptions();
    verify.mockRejectedValue(
      new Error('Unexpected authentication response origin'),
    );
    await expect(
      service.login(ceremonyId, assertion(), CLIENT),
    ).rejects.toMatchObject({
      code: 'PASSKEYS.AUTHENTICATION_FAILED',
    });
  });

  it("refuses another user's credential for a ceremony bound to a user, and a user handle that is not the owner's", async () => {
    const { service, repository } = setup();
    repository.passkeys.push(
      passkey({
        id: 'pk-2',
        userId: BOB,
        credentialId: 'cred-bob',
        counter: 0,
      }),
    );
    verify.mockResolvedValue(verified(9));
    const forBob = await service.secondFactorOptions(BOB);
    await expect(
      service.verifySecondFactor(
        BOB,
        forBob!.ceremonyId,
        assertion('cred-alice'),
        CLIENT,
      ),
    ).resolves.toBe(false);
    const { ceremonyId } = await service.loginOptions();
    await expect(
      service.login(
        ceremonyId,
        assertion('cred-alice', Buffer.from(BOB).toString('base64url')),
        CLIENT,
      ),
    ).rejects.toMatchObject({ code: 'PASSKEYS.AUTHENTICATION_FAILED' });
    expect(verify).not.toHaveBeenCalled();
  });

  it('accepts a second factor only for the user and the kind of ceremony it was made for', async () => {
    const { service } = setup();
    verify.mockResolvedValue(verified(8));
    const login = await service.loginOptions();
    await expect(
      service.verifySecondFactor(ALICE, login.ceremonyId, assertion(), CLIENT),
    ).resolves.toBe(false);
    const second = await service.secondFactorOptions(ALICE);
    await expect(
      service.verifySecondFactor(
        ALICE,
        second!.ceremonyId,
        assertion(),
        CLIENT,
      ),
    ).resolves.toBe(true);
  });
});
