import { Logger } from '@nestjs/common';
import type { EmailService } from 'src/email/email.service';
import type { MfaLoginService } from 'src/mfa/mfa-login.service';
import type { emailConfig } from 'src/config/email.config';
import type { ConfigType } from '@nestjs/config';
import type { EventEmitter2 } from '@nestjs/event-emitter';
import type { Principal } from 'src/access/principal';
import { Role } from 'src/access/role.enum';
import type { registrationConfig } from 'src/config/registration.config';
import { DomainEvent } from 'src/events/domain-events';
import { HashQueueFullError } from 'src/passwords/password.errors';
import type { PasswordService } from 'src/passwords/password.service';
import type { RefreshRotationService } from 'src/sessions/refresh-rotation.service';
import type { TokenPair } from 'src/sessions/session';
import type { SessionsService } from 'src/sessions/sessions.service';
import type { User, UserCredentials } from 'src/users/user';
import type { UsersService } from 'src/users/users.service';
import { AuthService } from './auth.service';
import { TooManyLoginAttemptsError } from 'src/lockout/login-attempts.errors';
import type {
  LoginAttemptsService,
  LoginSubject,
} from 'src/lockout/login-attempts.service';

const CLIENT = { ip: '203.0.113.7', userAgent: 'spec' };
const PAIR: TokenPair = {
  access_token: 'access',
  token_type: 'Bearer',
  expires_in: 900,
  refresh_token: 'refresh',
  refresh_expires_in: 3600,
};
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
const PRINCIPAL: Principal = {
  userId: ALICE.id,
  username: 'alice',
  roles: [Role.User],
  sessionId: '5e55104e-0000-4000-8000-000000000001',
} as Principal;

/** The passwords the fake hasher accepts: `hash:<password>`. */
const hashOf = (password: string): string => `hash:${password}`;

function setup(
  options: {
    stored?: UserCredentials;
    registration?: 'open' | 'closed';
    verification?: 'off' | 'optional' | 'required';
    /** What users.findByEmail answers (registration with verification required). */
    emailOwner?: User;
  } = {},
) {
  const stored =
    'stored' in options
      ? options.stored
      : { user: ALICE, passwordHash: hashOf('correct horse') };
  const users = {
    findCredentialsByLogin: jest.fn(() => Promise.resolve(stored)),
    findCredentialsById: jest.fn(() => Promise.resolve(stored)),
    create: jest.fn((input: { username: string; email: string }) =>
      Promise.resolve({ ...ALICE, ...input }),
    ),
    setPasswordHash: jest.fn(() => Promise.resolve()),
    findByEmail: jest.fn(() => Promise.resolve(options.emailOwner)),
  };
  const mfa = {
    startChallenge: jest.fn((userId: string) =>
      Promise.resolve({
        mfa_required: true,
        mfa_token: `challenge-for-${userId}`,
        methods: ['totp', 'recovery_code'],
        expires_in: 300,
      }),
    ),
  };
  const email = {
    accountCreated: jest.fn(() => Promise.resolve()),
    accountAlreadyExists: jest.fn(),
    passwordChanged: jest.fn(() => Promise.resolve()),
    requestEmailChange: jest.fn(() => Promise.resolve()),
  };
  const sessions = {
    createSession: jest.fn(() =>
      Promise.resolve<{ sessionId: string; pair: TokenPair } | undefined>({
        sessionId: PRINCIPAL.sessionId,
        pair: PAIR,
      }),
    ),
    revokeAllSessions: jest.fn(() => Promise.resolve(1)),
  };
  const passwords = {
    verify: jest.fn((hash: string, password: string) =>
      Promise.resolve(hash === hashOf(password)),
    ),
    verifyDummy: jest.fn(() => Promise.resolve(false)),
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
  const config: ConfigType<typeof registrationConfig> = {
    registration: options.registration ?? 'open',
    passwordMinLength: 8,
  };
  const service = new AuthService(
    users as unknown as UsersService,
    sessions as unknown as SessionsService,
    { refresh: jest.fn() } as unknown as RefreshRotationService,
    passwords as unknown as PasswordService,
    loginAttempts as unknown as LoginAttemptsService,
    events as unknown as EventEmitter2,
    email as unknown as EmailService,
    mfa as unknown as MfaLoginService,
    config,
    {
      verification: options.verification ?? 'off',
    } as ConfigType<typeof emailConfig>,
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

const loginFailed = (reason: string, userId?: string) => [
  DomainEvent.LoginFailed,
  { reason, userId, client: CLIENT },
];

describe(AuthService.name, () => {
  beforeEach(() => {
    jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
  });
  afterEach(() => jest.restoreAllMocks());

  describe('login', () => {
    it('refuses an unverified account with 403 after the right password when verification is required', async () => {
      const { service, sessions, settled, events } = setup({
        verification: 'required',
      });
      await expect(
        service.login({ username: 'alice', password: 'correct horse' }, CLIENT),
      ).rejects.toMatchObject({ code: 'AUTH.EMAIL_NOT_VERIFIED' });
      expect(sessions.createSession).not.toHaveBeenCalled();
      // The right password is not a failure toward the lockout.
      expect(settled).toEqual(['succeeded']);
      expect(events.emit).toHaveBeenCalledWith(
        ...loginFailed('email_unverified', ALICE.id),
      );
    });

    it('answers a challenge instead of tokens for an account with a second factor, counting nothing yet', async () => {
      const { service, sessions, settled, mfa } = setup({
        stored: {
          user: { ...ALICE, mfaEnabled: true },
          passwordHash: hashOf('correct horse'),
        },
      });
      await expect(
        service.login({ username: 'alice', password: 'correct horse' }, CLIENT),
      ).resolves.toMatchObject({
        mfa_required: true,
        mfa_token: `challenge-for-${ALICE.id}`,
      });
      expect(mfa.startChallenge).toHaveBeenCalledWith(ALICE.id, CLIENT);
      expect(sessions.createSession).not.toHaveBeenCalled();
      // Neither a success (which would clear failed codes) nor a failure.
      expect(settled).toEqual(['abandoned']);
    });

    it('still asks for the password first: a wrong one is the usual 401', async () => {
      const { service } = setup({ verification: 'required' });
      await expect(
        service.login({ username: 'alice', password: 'wrong' }, CLIENT),
      ).rejects.toMatchObject({ code: 'AUTH.INVALID_CREDENTIALS' });
    });

    it('lets a verified account in when verification is required', async () => {
      const { service } = setup({
        verification: 'required',
        stored: {
          user: { ...ALICE, emailVerified: true },
          passwordHash: hashOf('correct horse'),
        },
      });
      await expect(
        service.login({ username: 'alice', password: 'correct horse' }, CLIENT),
      ).resolves.toEqual(PAIR);
    });

    it('starts a session, settles the reservation as a success and announces the login', async () => {
      const { service, sessions, settled, events } = setup();
      await expect(
        service.login({ username: 'alice', password: 'correct horse' }, CLIENT),
      ).resolves.toEqual(PAIR);
      expect(sessions.createSession).toHaveBeenCalledWith(
        { id: ALICE.id, passwordHash: hashOf('correct horse') },
        CLIENT,
      );
      expect(settled).toEqual(['succeeded']);
      expect(events.emit).toHaveBeenCalledWith(DomainEvent.LoginSucceeded, {
        userId: ALICE.id,
        sessionId: PRINCIPAL.sessionId,
        client: CLIENT,
      });
    });

    it('checks an unknown login against the dummy hash and counts it under the name', async () => {
      const { service, passwords, loginAttempts, settled, events } = setup({
        stored: undefined,
      });
      await expect(
        service.login({ username: 'Nobody', password: 'whatever1' }, CLIENT),
      ).rejects.toMatchObject({ code: 'AUTH.INVALID_CREDENTIALS' });
      expect(loginAttempts.begin).toHaveBeenCalledWith({ loginName: 'Nobody' });
      expect(passwords.verifyDummy).toHaveBeenCalledWith('whatever1');
      expect(passwords.verify).not.toHaveBeenCalled();
      expect(settled).toEqual(['failed']);
      expect(events.emit).toHaveBeenCalledWith(...loginFailed('unknown_user'));
    });

    it('refuses a wrong password with the same answer and counts the failure', async () => {
      const { service, sessions, settled, events } = setup();
      await expect(
        service.login({ username: 'alice', password: 'wrong guess' }, CLIENT),
      ).rejects.toMatchObject({ code: 'AUTH.INVALID_CREDENTIALS' });
      expect(sessions.createSession).not.toHaveBeenCalled();
      expect(settled).toEqual(['failed']);
      expect(events.emit).toHaveBeenCalledWith(
        ...loginFailed('wrong_password', ALICE.id),
      );
    });

    it('refuses a disabled account after the same work, even with the right password', async () => {
      const { service, passwords, sessions, settled, events } = setup({
        stored: {
          user: { ...ALICE, disabled: true },
          passwordHash: hashOf('correct horse'),
        },
      });
      await expect(
        service.login({ username: 'alice', password: 'correct horse' }, CLIENT),
      ).rejects.toMatchObject({ code: 'AUTH.INVALID_CREDENTIALS' });
      expect(passwords.verify).toHaveBeenCalledTimes(1);
      expect(sessions.createSession).not.toHaveBeenCalled();
      expect(settled).toEqual(['failed']);
      expect(events.emit).toHaveBeenCalledWith(
        ...loginFailed('disabled', ALICE.id),
      );
    });

    it('refuses as account_changed when the account changed before the session was stored', async () => {
      const { service, sessions, settled, events } = setup();
      sessions.createSession.mockResolvedValue(undefined);
      await expect(
        service.login({ username: 'alice', password: 'correct horse' }, CLIENT),
      ).rejects.toMatchObject({ code: 'AUTH.INVALID_CREDENTIALS' });
      expect(settled).toEqual(['failed']);
      expect(events.emit).toHaveBeenCalledWith(
        ...loginFailed('account_changed', ALICE.id),
      );
      expect(events.emit).not.toHaveBeenCalledWith(
        DomainEvent.LoginSucceeded,
        expect.anything(),
      );
    });

    it('announces a locked-out attempt without checking the password', async () => {
      const { service, loginAttempts, passwords, events } = setup();
      loginAttempts.begin.mockRejectedValue(
        new TooManyLoginAttemptsError(60_000),
      );
      await expect(
        service.login({ username: 'alice', password: 'correct horse' }, CLIENT),
      ).rejects.toBeInstanceOf(TooManyLoginAttemptsError);
      expect(passwords.verify).not.toHaveBeenCalled();
      expect(events.emit).toHaveBeenCalledWith(
        ...loginFailed('locked_out', ALICE.id),
      );
    });

    it('releases the reservation without counting when the hash queue is full', async () => {
      const { service, passwords, settled, events } = setup();
      passwords.verify.mockRejectedValue(new HashQueueFullError(5_000));
      await expect(
        service.login({ username: 'alice', password: 'correct horse' }, CLIENT),
      ).rejects.toBeInstanceOf(HashQueueFullError);
      expect(settled).toEqual(['abandoned']);
      expect(events.emit).not.toHaveBeenCalled();
    });

    it('releases the reservation once when storing the session fails', async () => {
      const { service, sessions, settled } = setup();
      sessions.createSession.mockRejectedValue(new Error('database down'));
      await expect(
        service.login({ username: 'alice', password: 'correct horse' }, CLIENT),
      ).rejects.toThrow('database down');
      expect(settled).toEqual(['abandoned']);
    });
  });

  describe('register', () => {
    it('refuses while registration is closed, before any hash', async () => {
      const { service, passwords, users } = setup({ registration: 'closed' });
      await expect(
        service.register({
          username: 'bob',
          email: 'bob@example.com',
          password: 'long enough',
        }),
      ).rejects.toMatchObject({ code: 'AUTH.REGISTRATION_CLOSED' });
      expect(passwords.hash).not.toHaveBeenCalled();
      expect(users.create).not.toHaveBeenCalled();
    });

    it('stores the hash, never the password, and announces the new user', async () => {
      const { service, users, events } = setup();
      const user = await service.register({
        username: 'bob',
        email: 'bob@example.com',
        password: 'long enough',
      });
      expect(users.create).toHaveBeenCalledWith({
        username: 'bob',
        email: 'bob@example.com',
        passwordHash: hashOf('long enough'),
      });
      expect(events.emit).toHaveBeenCalledWith(DomainEvent.UserCreated, {
        userId: user!.id,
      });
    });

    it('answers a taken address like a new one when verification is required, and mails its owner', async () => {
      const { service, users, email, passwords } = setup({
        verification: 'required',
        emailOwner: ALICE,
      });
      await expect(
        service.register({
          username: 'mallory',
          email: 'ALICE@example.com',
          password: 'long enough',
        }),
      ).resolves.toBeUndefined();
      // Hashed all the same, so both answers cost the same time.
      expect(passwords.hash).toHaveBeenCalledWith('long enough');
      expect(users.create).not.toHaveBeenCalled();
      expect(email.accountAlreadyExists).toHaveBeenCalledWith(
        'ALICE@example.com',
      );
    });

    it('creates a new account but answers without it when verification is required, and mails a link', async () => {
      const { service, users, email } = setup({ verification: 'required' });
      await expect(
        service.register({
          username: 'bob',
          email: 'bob@example.com',
          password: 'long enough',
        }),
      ).resolves.toBeUndefined();
      expect(users.create).toHaveBeenCalled();
      expect(email.accountCreated).toHaveBeenCalledWith(
        expect.objectContaining({ username: 'bob' }),
      );
    });
  });
});
