import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { InvalidAccessTokenError } from 'src/access/access.errors';
import type { Principal } from 'src/access/principal';
import type { RequestClient } from 'src/common/client-context.decorator';
import { Clock } from 'src/common/clock';
import { DomainValidationError } from 'src/common/domain-error';
import { registrationConfig } from 'src/config/registration.config';
import { EmailChangeService } from 'src/email/email-change.service';
import { EmailService } from 'src/email/email.service';
import {
  DomainEvent,
  type PasswordChangedEvent,
  type PasswordChangeFailedEvent,
  type PasswordChangeFailureReason,
} from 'src/events/domain-events';
import { TooManyLoginAttemptsError } from 'src/lockout/login-attempts.errors';
import { LoginAttemptsService } from 'src/lockout/login-attempts.service';
import { MfaLoginService, type SecondFactor } from 'src/mfa/mfa-login.service';
import { checkPasswordPolicy } from 'src/passwords/password-policy.check';
import { HashQueueFullError } from 'src/passwords/password.errors';
import { PasswordService } from 'src/passwords/password.service';
import type { AccessTokenOnly } from 'src/sessions/session';
import { SessionsService } from 'src/sessions/sessions.service';
import { UsersService } from 'src/users/users.service';
import { userGoneError, WrongCurrentPasswordError } from './auth.errors';

/**
 * What a signed-in user does that needs their current password: change it, change the email address, sign in again
 * for step-up. The password is checked as a login attempt each time (the account's lockout, reserved before the
 * hash), so a stolen access token is no way to guess it online.
 */
@Injectable()
export class AccountService {
  constructor(
    private readonly users: UsersService,
    private readonly sessions: SessionsService,
    private readonly passwords: PasswordService,
    private readonly loginAttempts: LoginAttemptsService,
    private readonly events: EventEmitter2,
    private readonly clock: Clock,
    private readonly email: EmailService,
    private readonly emailChange: EmailChangeService,
    private readonly mfa: MfaLoginService,
    @Inject(registrationConfig.KEY)
    private readonly config: ConfigType<typeof registrationConfig>,
  ) {}

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
    await this.emailChange.requestEmailChange(
      principal.userId,
      newEmail,
      client,
    );
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
    checkPasswordPolicy(
      'new_password',
      newPassword,
      this.config.passwordMinLength,
    );
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
      // An account without a password is checked against the dummy hash: the same time, always refused.
      valid = credentials.passwordHash
        ? await this.passwords.verify(credentials.passwordHash, currentPassword)
        : await this.passwords.verifyDummy(currentPassword);
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
}

function passwordChangeFailure(error: unknown): PasswordChangeFailureReason {
  if (error instanceof WrongCurrentPasswordError) return 'wrong_password';
  if (error instanceof TooManyLoginAttemptsError) return 'locked_out';
  if (error instanceof DomainValidationError) return 'invalid_new_password';
  if (error instanceof HashQueueFullError) return 'busy';
  return 'error';
}
