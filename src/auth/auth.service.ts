import { Inject, Injectable, Logger } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { EventEmitter2 } from '@nestjs/event-emitter';
import type { RequestClient } from 'src/common/client-context.decorator';
import { Clock } from 'src/common/clock';
import { DomainValidationError } from 'src/common/domain-error';
import { InvalidAccessTokenError } from 'src/access/access.errors';
import { emailConfig } from 'src/config/email.config';
import { registrationConfig } from 'src/config/registration.config';
import { EmailService } from 'src/email/email.service';
import { passwordLengthAllowed } from 'src/config/password-policy';
import {
  DomainEvent,
  type LoginFailedEvent,
  type LoginFailureReason,
  type LoginSucceededEvent,
  type PasswordChangedEvent,
  type PasswordChangeFailedEvent,
  type PasswordChangeFailureReason,
  type UserCreatedEvent,
} from 'src/events/domain-events';
import { HashQueueFullError } from 'src/passwords/password.errors';
import { PasswordService } from 'src/passwords/password.service';
import {
  type MfaChallenge,
  MfaLoginService,
  type SecondFactor,
} from 'src/mfa/mfa-login.service';
import type { AccessTokenOnly, TokenPair } from 'src/sessions/session';
import { RefreshRotationService } from 'src/sessions/refresh-rotation.service';
import { SessionsService } from 'src/sessions/sessions.service';
import type { User } from 'src/users/user';
import { UsersService } from 'src/users/users.service';
import {
  emailNotVerifiedError,
  invalidCredentialsError,
  registrationClosedError,
  userGoneError,
  WrongCurrentPasswordError,
} from './auth.errors';
import { TooManyLoginAttemptsError } from 'src/lockout/login-attempts.errors';
import { LoginAttemptsService } from 'src/lockout/login-attempts.service';
import type { Principal } from 'src/access/principal';

@Injectable()
export class AuthService {
  private readonly logger = new Logger(AuthService.name);

  constructor(
    private readonly users: UsersService,
    private readonly sessions: SessionsService,
    private readonly refreshes: RefreshRotationService,
    private readonly passwords: PasswordService,
    private readonly loginAttempts: LoginAttemptsService,
    private readonly events: EventEmitter2,
    private readonly clock: Clock,
    private readonly email: EmailService,
    private readonly mfa: MfaLoginService,
    @Inject(registrationConfig.KEY)
    private readonly config: ConfigType<typeof registrationConfig>,
    @Inject(emailConfig.KEY)
    private readonly emailSettings: ConfigType<typeof emailConfig>,
  ) {}

  /**
   * Creates the account and, when verification is on, mails a verification link. With verification required
   * the answer is undefined (the caller answers 202) both for a new address and for a taken one, whose owner gets
   * a "you already have an account" mail instead: registration then does not tell who has an account. The hash
   * is computed in both cases so the two take the same time.
   */
  async register(input: {
    username: string;
    email: string;
    password: string;
  }): Promise<User | undefined> {
    if (this.config.registration === 'closed') throw registrationClosedError();
    this.checkPasswordPolicy('password', input.password);
    const passwordHash = await this.passwords.hash(input.password);
    const required = this.emailSettings.verification === 'required';
    if (required && (await this.users.findByEmail(input.email))) {
      this.email.accountAlreadyExists(input.email);
      return undefined;
    }
    const user = await this.users.create({
      username: input.username,
      email: input.email,
      passwordHash,
    });
    this.logger.log({ event: 'user_created', userId: user.id });
    this.events.emit(DomainEvent.UserCreated, {
      userId: user.id,
    } satisfies UserCreatedEvent);
    // The account exists either way: a failed mail write is logged, and the user can ask for a new link.
    await this.email.accountCreated(user).catch((error: Error) =>
      this.logger.error({
        event: 'verification_mail_failed',
        userId: user.id,
        err: error,
      }),
    );
    return required ? undefined : user;
  }

  /**
   * Checks the password; an account with a second factor gets a challenge instead of tokens. The attempt is then
   * settled as neither success nor failure: only the challenge's outcome counts, so a caller who knows the password
   * cannot clear the failures that wrong codes add up.
   */
  async login(
    input: { username: string; password: string },
    client: RequestClient,
  ): Promise<TokenPair | MfaChallenge> {
    const credentials = await this.users.findCredentialsByLogin(input.username);
    // Reserved before the hash is checked, so parallel guesses beyond the limit never reach argon2.
    const attempt = await this.loginAttempts
      .begin(
        credentials
          ? { accountId: credentials.user.id }
          : { loginName: input.username },
      )
      .catch((error: unknown) => {
        if (error instanceof TooManyLoginAttemptsError)
          this.loginFailed('locked_out', credentials?.user.id, client);
        throw error;
      });
    let valid: boolean;
    try {
      // An unknown user is checked against a dummy hash so it costs the same time as a wrong password.
      valid = credentials
        ? await this.passwords.verify(credentials.passwordHash, input.password)
        : await this.passwords.verifyDummy(input.password);
    } catch (error) {
      await attempt.abandoned();
      throw error;
    }
    // A disabled account gets the same answer as a wrong password, after the same work, and counts as a failure.
    if (!credentials || !valid || credentials.user.disabled) {
      await attempt.failed();
      this.loginFailed(
        !credentials ? 'unknown_user' : !valid ? 'wrong_password' : 'disabled',
        credentials?.user.id,
        client,
      );
      throw invalidCredentialsError();
    }
    if (
      this.emailSettings.verification === 'required' &&
      !credentials.user.emailVerified
    ) {
      // The right password: not a failure toward the lockout.
      await attempt.succeeded();
      this.loginFailed('email_unverified', credentials.user.id, client);
      throw emailNotVerifiedError();
    }
    if (credentials.user.mfaEnabled) {
      await attempt.abandoned();
      return this.mfa.startChallenge(credentials.user.id, client);
    }
    // Stored only if the account is still enabled and still has the password just checked: a disable or a
    // password change that landed while this login waited for its hash wins.
    const started = await this.sessions
      .createSession(
        { id: credentials.user.id, passwordHash: credentials.passwordHash },
        client,
      )
      .catch(async (error: unknown) => {
        await attempt.abandoned();
        throw error;
      });
    if (!started) {
      await attempt.failed();
      this.loginFailed('account_changed', credentials.user.id, client);
      throw invalidCredentialsError();
    }
    await attempt.succeeded();
    this.events.emit(DomainEvent.LoginSucceeded, {
      userId: credentials.user.id,
      sessionId: started.sessionId,
      client,
    } satisfies LoginSucceededEvent);
    return started.pair;
  }

  refresh(refreshToken: string, client: RequestClient): Promise<TokenPair> {
    return this.refreshes.refresh(refreshToken, client);
  }

  logout(principal: Principal, client: RequestClient): Promise<void> {
    return this.sessions.logout(principal.userId, principal.sessionId, client);
  }

  async me(principal: Principal): Promise<User> {
    const user = await this.users.findProfile(principal.userId);
    if (!user) throw userGoneError();
    return user;
  }

  /** Changes the password and ends every other session; the current one stays signed in. Every refusal is audited. */
  async changePassword(
    principal: Principal,
    currentPassword: string,
    newPassword: string,
    client: RequestClient,
  ): Promise<void> {
    const passwordHash = await this.checkPasswordChange(
      principal,
      currentPassword,
      newPassword,
    ).catch((error: unknown) => {
      this.events.emit(DomainEvent.PasswordChangeFailed, {
        userId: principal.userId,
        sessionId: principal.sessionId,
        client,
        reason: passwordChangeFailure(error),
      } satisfies PasswordChangeFailedEvent);
      throw error;
    });
    await this.users.setPasswordHash(principal.userId, passwordHash);
    await this.email.passwordChanged(principal.userId);
    await this.sessions.revokeAllSessions(
      principal.userId,
      'password_changed',
      principal.sessionId,
    );
    this.events.emit(DomainEvent.PasswordChanged, {
      userId: principal.userId,
      sessionId: principal.sessionId,
      client,
    } satisfies PasswordChangedEvent);
  }

  /**
   * A fresh sign-in inside the current session, for step-up: the password (as a login attempt) and, for an account
   * with a second factor, a code or recovery code. The session's `amr` and `auth_time` are replaced and a new access
   * token for the same session is signed; the refresh token is unchanged.
   */
  async reauthenticate(
    principal: Principal,
    password: string,
    factor: SecondFactor,
    client: RequestClient,
  ): Promise<AccessTokenOnly> {
    await this.checkCurrentPassword(principal, password);
    const user = await this.users.findProfile(principal.userId);
    if (!user) throw userGoneError();
    const amr = user.mfaEnabled
      ? (await this.mfa.checkSecondFactor(user.id, factor, client)).amr
      : ['pwd'];
    const access = await this.sessions.reissueAccessToken(
      user.id,
      principal.sessionId,
      { amr, authTime: this.clock.now() },
    );
    if (!access) throw new InvalidAccessTokenError('revoked');
    return access;
  }

  /**
   * Asks to move the account to `newEmail`: the current password is checked like a login attempt (so a stolen
   * access token cannot redirect the account's mail), then a link goes to the new address and a notice to the
   * current one. The change applies when the new address confirms.
   */
  async requestEmailChange(
    principal: Principal,
    newEmail: string,
    currentPassword: string,
    client: RequestClient,
  ): Promise<void> {
    await this.checkCurrentPassword(principal, currentPassword);
    await this.email.requestEmailChange(principal.userId, newEmail, client);
  }

  /**
   * Checks the current password as a login attempt (same per-account lockout, reserved before the hash), so a
   * stolen access token is no way to guess the password online; resolves to the new password's hash.
   */
  private async checkPasswordChange(
    principal: Principal,
    currentPassword: string,
    newPassword: string,
  ): Promise<string> {
    // First, so that a request the policy refuses costs no hash and no attempt.
    this.checkPasswordPolicy('new_password', newPassword);
    await this.checkCurrentPassword(principal, currentPassword);
    return this.passwords.hash(newPassword);
  }

  /** The current password, checked as a login attempt: same per-account lockout, reserved before the hash. */
  private async checkCurrentPassword(
    principal: Principal,
    currentPassword: string,
  ): Promise<void> {
    const credentials = await this.users.findCredentialsById(principal.userId);
    if (!credentials) throw userGoneError();
    const attempt = await this.loginAttempts.begin({
      accountId: principal.userId,
    });
    let valid: boolean;
    try {
      valid = await this.passwords.verify(
        credentials.passwordHash,
        currentPassword,
      );
    } catch (error) {
      await attempt.abandoned();
      throw error;
    }
    if (!valid) {
      await attempt.failed();
      throw new WrongCurrentPasswordError();
    }
    await attempt.succeeded();
  }

  /** Announced with the reason; the submitted login and password are never part of it. */
  private loginFailed(
    reason: LoginFailureReason,
    userId: string | undefined,
    client: RequestClient,
  ): void {
    this.events.emit(DomainEvent.LoginFailed, {
      reason,
      userId,
      client,
    } satisfies LoginFailedEvent);
  }

  private checkPasswordPolicy(field: string, password: string): void {
    if (!passwordLengthAllowed(password, this.config.passwordMinLength)) {
      throw new DomainValidationError(
        field,
        `${field} must be at least ${this.config.passwordMinLength} characters`,
      );
    }
  }
}

function passwordChangeFailure(error: unknown): PasswordChangeFailureReason {
  if (error instanceof WrongCurrentPasswordError) return 'wrong_password';
  if (error instanceof TooManyLoginAttemptsError) return 'locked_out';
  if (error instanceof DomainValidationError) return 'invalid_new_password';
  if (error instanceof HashQueueFullError) return 'busy';
  return 'error';
}
