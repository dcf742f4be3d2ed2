import { Inject, Injectable, Logger } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { EventEmitter2 } from '@nestjs/event-emitter';
import type { RequestClient } from 'src/common/client-context.decorator';
import { DomainValidationError } from 'src/common/domain-error';
import { registrationConfig } from 'src/config/registration.config';
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
import type { TokenPair } from 'src/sessions/session';
import { RefreshRotationService } from 'src/sessions/refresh-rotation.service';
import { SessionsService } from 'src/sessions/sessions.service';
import type { User } from 'src/users/user';
import { UsersService } from 'src/users/users.service';
import {
  invalidCredentialsError,
  registrationClosedError,
  userGoneError,
  WrongCurrentPasswordError,
} from './auth.errors';
import { TooManyLoginAttemptsError } from './login-attempts.errors';
import { LoginAttemptsService } from './login-attempts.service';
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
    @Inject(registrationConfig.KEY)
    private readonly config: ConfigType<typeof registrationConfig>,
  ) {}

  async register(input: {
    username: string;
    email: string;
    password: string;
  }): Promise<User> {
    if (this.config.registration === 'closed') throw registrationClosedError();
    this.checkPasswordPolicy('password', input.password);
    const passwordHash = await this.passwords.hash(input.password);
    const user = await this.users.create({
      username: input.username,
      email: input.email,
      passwordHash,
    });
    this.logger.log({ event: 'user_created', userId: user.id });
    this.events.emit(DomainEvent.UserCreated, {
      userId: user.id,
    } satisfies UserCreatedEvent);
    return user;
  }

  async login(
    input: { username: string; password: string },
    client: RequestClient,
  ): Promise<TokenPair> {
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
    return this.passwords.hash(newPassword);
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
