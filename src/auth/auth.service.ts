import { Inject, Injectable, Logger } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { EventEmitter2 } from '@nestjs/event-emitter';
import type { RequestClient } from 'src/common/client-context.decorator';
import { emailConfig } from 'src/config/email.config';
import { registrationConfig } from 'src/config/registration.config';
import { EmailService } from 'src/email/email.service';
import {
  DomainEvent,
  type LoginFailedEvent,
  type LoginFailureReason,
  type LoginSucceededEvent,
  type UserCreatedEvent,
} from 'src/events/domain-events';
import { checkPasswordPolicy } from 'src/passwords/password-policy.check';
import { PasswordService } from 'src/passwords/password.service';
import { type MfaChallenge, MfaLoginService } from 'src/mfa/mfa-login.service';
import type { TokenPair } from 'src/sessions/session';
import { RefreshRotationService } from 'src/sessions/refresh-rotation.service';
import { SessionsService } from 'src/sessions/sessions.service';
import type { User } from 'src/users/user';
import { UsersService } from 'src/users/users.service';
import {
  emailNotVerifiedError,
  invalidCredentialsError,
  registrationClosedError,
  userGoneError,
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
    checkPasswordPolicy(
      'password',
      input.password,
      this.config.passwordMinLength,
    );
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
      // So does an account without a password (it signs in through a provider or a passkey).
      valid = credentials?.passwordHash
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
        {
          id: credentials.user.id,
          passwordHash: credentials.passwordHash ?? undefined,
        },
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
}
