import { Logger } from '@nestjs/common';
import type { EventEmitter2 } from '@nestjs/event-emitter';
import type { Principal } from 'src/access/principal';
import { Role } from 'src/access/role.enum';
import { Clock } from 'src/common/clock';
import type { EmailChangeService } from 'src/email/email-change.service';
import type { EmailService } from 'src/email/email.service';
import { DomainEvent } from 'src/events/domain-events';
import type {
  LoginAttemptsService,
  LoginSubject,
} from 'src/lockout/login-attempts.service';
import type { MfaLoginService } from 'src/mfa/mfa-login.service';
import { HashQueueFullError } from 'src/passwords/password.errors';
import type { PasswordService } from 'src/passwords/password.service';
import type { AccessTokenOnly } from 'src/sessions/session';
import type { SessionsService } from 'src/sessions/sessions.service';
import type { User } from 'src/users/user';
import type { UsersService } from 'src/users/users.service';
import { AccountService } from './account.service';

const CLIENT = { ip: '203.0.113.7', userAgent: 'spec' };
const ALICE: User = {
  id: 'a11ce000-0000-4000-8000-00000000a11c',
  username: 'alice',
  email: 'alice@example.com',
  roles: [Role.User],
  disabled: false,
  emailVerified: false,
  mfaEnabled: false,
  createdAt: new Date('2026-01-01T00:00:00Z'),
  updatedAt: new Date('2026-01-01T00:00:00Z'),
};
const PRINCIPAL = {
  userId: ALICE.id,
  username: 'alice',
  roles: [Role.User],
  sessionId: '5e55104e-0000-4000-8000-000000000001',
} as Principal;
const ACCESS: AccessTokenOnly = {
  access_token: 'fresh',
  token_type: 'Bearer',
  expires_in: 900,
};

/** The passwords the fake hasher accepts: `hash:<password>`. */
const hashOf = (password: string): string => `hash:${password}`;

function setup(options: { user?: User; session?: boolean } = {}) {
  const user = options.user ?? ALICE;
  const users = {
    findCredentialsById: jest.fn(() =>
      Promise.resolve({ user, passwordHash: hashOf('correct horse') }),
    ),
    findProfile: jest.fn(() => Promise.resolve(user)),
    setPasswordHash: jest.fn(() => Promise.resolve()),
  };
  const sessions = {
    revokeAllSessions: jest.fn(() => Promise.resolve(1)),
    reissueAccessToken: jest.fn(() =>
      Promise.resolve(options.session === false ? undefined : ACCESS),
    ),
  };
  const passwords = {
    verify: jest.fn((hash: string, password: string) =>
      Promise.resolve(hash === hashOf(password)),
    ),
    hash: jest.fn((password: string) => Promise.resolve(hashOf(password))),
  };
  const settled: string[] = [];
  const loginAttempts = {
    begin: jest.fn((_subject: LoginSubject) =>
      Promise.resolve({
        succeeded: () => Promise.resolve(void settled.push('succeeded')),
        failed: () => Promise.resolve(void settled.push('failed')),
        abandoned: () => Promise.resolve(void settled.push('abandoned')),
      }),
    ),
  };
  const events = { emit: jest.fn(() => true) };
  const email = {
    passwordChanged: jest.fn(() => Promise.resolve()),
    requestEmailChange: jest.fn(() => Promise.resolve()),
  };
  const mfa = {
    checkSecondFactor: jest.fn(() =>
      Promise.resolve({ method: 'totp', amr: ['pwd', 'otp', 'mfa'] }),
    ),
  };
  const clock = new Clock();
  const service = new AccountService(
    users as unknown as UsersService,
    sessions as unknown as SessionsService,
    passwords as unknown as PasswordService,
    loginAttempts as unknown as LoginAttemptsService,
    events as unknown as EventEmitter2,
    clock,
    email as unknown as EmailService,
    email as unknown as EmailChangeService,
    mfa as unknown as MfaLoginService,
    { registration: 'open', passwordMinLength: 8 },
  );
  return {
    service,
    users,
    sessions,
    passwords,
    loginAttempts,
    settled,
    events,
    email,
    mfa,
  };
}

describe(AccountService.name, () => {
  beforeEach(() => {
    jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
  });
  afterEach(() => jest.restoreAllMocks());

  describe('changePassword', () => {
    it('stores the new hash, voids pending reset links, ends every other session and announces the change', async () => {
      const { service, users, sessions, settled, events, email } = setup();
      await service.changePassword(
        PRINCIPAL,
        'correct horse',
        'battery staple',
        CLIENT,
      );
      expect(users.setPasswordHash).toHaveBeenCalledWith(
        ALICE.id,
        hashOf('battery staple'),
      );
      expect(email.passwordChanged).toHaveBeenCalledWith(ALICE.id);
      expect(sessions.revokeAllSessions).toHaveBeenCalledWith(
        ALICE.id,
        'password_changed',
        PRINCIPAL.sessionId,
      );
      expect(settled).toEqual(['succeeded']);
      expect(events.emit).toHaveBeenCalledWith(DomainEvent.PasswordChanged, {
        userId: ALICE.id,
        sessionId: PRINCIPAL.sessionId,
        client: CLIENT,
      });
    });

    it.each([
      ['wrong_password', 'not my password', 'battery staple'],
      ['invalid_new_password', 'correct horse', 'short'],
    ])(
      'refuses and announces the refusal as %s, changing nothing',
      async (reason, current, next) => {
        const { service, users, sessions, events } = setup();
        await expect(
          service.changePassword(PRINCIPAL, current, next, CLIENT),
        ).rejects.toBeDefined();
        expect(users.setPasswordHash).not.toHaveBeenCalled();
        expect(sessions.revokeAllSessions).not.toHaveBeenCalled();
        expect(events.emit).toHaveBeenCalledWith(
          DomainEvent.PasswordChangeFailed,
          {
            userId: ALICE.id,
            sessionId: PRINCIPAL.sessionId,
            client: CLIENT,
            reason,
          },
        );
      },
    );

    it('counts a wrong current password toward the lockout', async () => {
      const { service, settled } = setup();
      await expect(
        service.changePassword(
          PRINCIPAL,
          'not my password',
          'x'.repeat(12),
          CLIENT,
        ),
      ).rejects.toMatchObject({ code: 'AUTH.WRONG_CURRENT_PASSWORD' });
      expect(settled).toEqual(['failed']);
    });

    it('costs no hash and no attempt when the new password breaks the policy', async () => {
      const { service, loginAttempts, passwords } = setup();
      await expect(
        service.changePassword(PRINCIPAL, 'correct horse', 'short', CLIENT),
      ).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
      expect(loginAttempts.begin).not.toHaveBeenCalled();
      expect(passwords.verify).not.toHaveBeenCalled();
    });

    it('announces a refused hash as busy', async () => {
      const { service, passwords, events } = setup();
      passwords.verify.mockRejectedValue(new HashQueueFullError(5_000));
      await expect(
        service.changePassword(
          PRINCIPAL,
          'correct horse',
          'battery staple',
          CLIENT,
        ),
      ).rejects.toBeInstanceOf(HashQueueFullError);
      expect(events.emit).toHaveBeenCalledWith(
        DomainEvent.PasswordChangeFailed,
        expect.objectContaining({ reason: 'busy' }),
      );
    });
  });

  describe('reauthenticate', () => {
    it('checks the password as a login attempt and renews the session with amr pwd and a new auth_time', async () => {
      const { service, sessions, settled, mfa } = setup();
      const before = Date.now();
      await expect(
        service.reauthenticate(PRINCIPAL, 'correct horse', {}, CLIENT),
      ).resolves.toEqual(ACCESS);
      expect(settled).toEqual(['succeeded']);
      expect(mfa.checkSecondFactor).not.toHaveBeenCalled();
      const [userId, sessionId, auth] = sessions.reissueAccessToken.mock
        .calls[0] as unknown as [
        string,
        string,
        { amr: string[]; authTime: Date },
      ];
      expect([userId, sessionId]).toEqual([ALICE.id, PRINCIPAL.sessionId]);
      expect(auth.amr).toEqual(['pwd']);
      expect(auth.authTime.getTime()).toBeGreaterThanOrEqual(before);
    });

    it('asks an account with a second factor for it and records its methods', async () => {
      const { service, sessions, mfa } = setup({
        user: { ...ALICE, mfaEnabled: true },
      });
      await service.reauthenticate(
        PRINCIPAL,
        'correct horse',
        { code: '123456' },
        CLIENT,
      );
      expect(mfa.checkSecondFactor).toHaveBeenCalledWith(
        ALICE.id,
        { code: '123456' },
        CLIENT,
      );
      expect(sessions.reissueAccessToken).toHaveBeenCalledWith(
        ALICE.id,
        PRINCIPAL.sessionId,
        expect.objectContaining({ amr: ['pwd', 'otp', 'mfa'] }),
      );
    });

    it('refuses a wrong password before asking for the second factor', async () => {
      const { service, mfa, sessions, settled } = setup({
        user: { ...ALICE, mfaEnabled: true },
      });
      await expect(
        service.reauthenticate(PRINCIPAL, 'wrong', { code: '123456' }, CLIENT),
      ).rejects.toMatchObject({ code: 'AUTH.WRONG_CURRENT_PASSWORD' });
      expect(settled).toEqual(['failed']);
      expect(mfa.checkSecondFactor).not.toHaveBeenCalled();
      expect(sessions.reissueAccessToken).not.toHaveBeenCalled();
    });

    it('answers 401 when the session ended meanwhile', async () => {
      const { service } = setup({ session: false });
      await expect(
        service.reauthenticate(PRINCIPAL, 'correct horse', {}, CLIENT),
      ).rejects.toMatchObject({ code: 'AUTH.TOKEN_REVOKED' });
    });
  });
});
