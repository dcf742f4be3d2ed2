import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { EventEmitter2 } from '@nestjs/event-emitter';
import type { RequestClient } from 'src/common/client-context.decorator';
import { Clock } from 'src/common/clock';
import { DomainValidationError } from 'src/common/domain-error';
import { emailConfig } from 'src/config/email.config';
import { registrationConfig } from 'src/config/registration.config';
import type { DbExecutor } from 'src/database/database.types';
import {
  DomainEvent,
  type EmailVerifiedEvent,
  type PasswordResetEvent,
  type PasswordResetRequestedEvent,
} from 'src/events/domain-events';
import { checkPasswordPolicy } from 'src/passwords/password-policy.check';
import { PasswordService } from 'src/passwords/password.service';
import { SessionsService } from 'src/sessions/sessions.service';
import type { User } from 'src/users/user';
import { userNotFoundError } from 'src/users/users.errors';
import { UsersService } from 'src/users/users.service';
import { invalidEmailTokenError } from './email.errors';
import { EmailMailer, sameAddress } from './email-mailer';
import type { EmailTokensRepository } from './email-tokens.repository';
import { type MailContext, mailTemplates } from './mail-templates';

/**
 * The flows that recover an account or prove its address: forgotten password and email verification (the email
 * change is EmailChangeService). Every token is single-use and spent in the same transaction as the change it
 * authorises; every mail is written to the outbox in the same transaction as its token and sent after the response.
 */
@Injectable()
export class EmailService {
  private readonly mail: MailContext;
  private readonly tokens: EmailTokensRepository;

  constructor(
    private readonly mailer: EmailMailer,
    private readonly users: UsersService,
    private readonly sessions: SessionsService,
    private readonly passwords: PasswordService,
    private readonly events: EventEmitter2,
    private readonly clock: Clock,
    @Inject(emailConfig.KEY)
    private readonly config: ConfigType<typeof emailConfig>,
    @Inject(registrationConfig.KEY)
    private readonly registration: ConfigType<typeof registrationConfig>,
  ) {
    this.mail = mailer.context;
    this.tokens = mailer.tokens;
  }

  /** For tests and shutdown: resolves when the mail work started by earlier requests has been written. */
  settled(): Promise<void> {
    return this.mailer.background.settled();
  }

  /**
   * Answers at once, the same way for every address: the lookup, the token and the mail happen after the
   * response, so neither the answer nor its timing tells whether an account exists.
   */
  requestPasswordReset(email: string, client: RequestClient): void {
    this.mailer.ensureEnabled();
    this.mailer.background.start('password_reset_request', async () => {
      const user = await this.users.findByEmail(email);
      if (!user || user.disabled) return;
      if (await this.sendPasswordReset(user, true))
        this.events.emit(DomainEvent.PasswordResetRequested, {
          userId: user.id,
          client,
        } satisfies PasswordResetRequestedEvent);
    });
  }

  /** An admin sends a reset link to a user (no per-address limit: the admin asked on purpose). */
  async sendPasswordResetFor(
    actorId: string,
    userId: string,
    client: RequestClient,
  ): Promise<void> {
    this.mailer.ensureEnabled();
    const user = await this.users.findProfile(userId);
    if (!user) throw userNotFoundError();
    if (user.disabled)
      throw new DomainValidationError(
        'id',
        'the account is disabled: enable it first, a reset link would not work',
      );
    await this.sendPasswordReset(user, false);
    this.events.emit(DomainEvent.PasswordResetRequested, {
      userId: user.id,
      actorId,
      client,
    } satisfies PasswordResetRequestedEvent);
  }

  /**
   * Checks the token (well-formed, then one lookup of its hash), then the new password against the policy, and only
   * then hashes it: a guess costs no hash, and a refused password leaves the token usable. The token is spent in
   * the transaction that sets the password, so two requests with one token make one change. Afterwards every
   * session ends, every other pending token is void, and the lockout is lifted (by the listeners of PasswordReset).
   */
  async resetPassword(
    token: string,
    newPassword: string,
    client: RequestClient,
  ): Promise<void> {
    this.mailer.ensureEnabled();
    const found = await this.mailer.findUsable(token, 'password_reset');
    checkPasswordPolicy(
      'new_password',
      newPassword,
      this.registration.passwordMinLength,
    );
    const passwordHash = await this.passwords.hash(newPassword);
    const now = this.clock.now();
    const account = await this.tokens.transaction(async (tx) => {
      if (!(await this.tokens.claim(tx, found.id, now)))
        throw invalidEmailTokenError();
      const changed = await this.tokens.resetPassword(
        tx,
        found.userId,
        passwordHash,
        found.email,
        now,
      );
      if (!changed) throw invalidEmailTokenError();
      await this.tokens.voidPending(tx, found.userId, now);
      await this.mailer.enqueueIn(
        tx,
        [
          mailTemplates.passwordResetNotice(
            this.mail,
            changed.email,
            changed.username,
          ),
        ],
        now,
      );
      return changed;
    });
    this.mailer.kick();
    this.users.profileChanged(found.userId);
    const ended = await this.sessions.revokeAllSessions(
      found.userId,
      'password_reset',
    );
    await this.events.emitAsync(DomainEvent.PasswordReset, {
      userId: found.userId,
      client,
      ended,
    } satisfies PasswordResetEvent);
    if (!account.wasVerified && sameAddress(account.email, found.email))
      this.events.emit(DomainEvent.EmailVerified, {
        userId: found.userId,
        via: 'reset',
        client,
      } satisfies EmailVerifiedEvent);
  }

  /** A password change elsewhere (POST /auth/password) voids the reset links still in flight. */
  async passwordChanged(userId: string): Promise<void> {
    if (!this.config.enabled) return;
    const now = this.clock.now();
    await this.tokens.transaction((tx) =>
      this.tokens.voidPending(tx, userId, now, 'password_reset'),
    );
  }

  /** Sends a verification link to a new account when verification is on (within the per-address limit). */
  async accountCreated(user: User): Promise<void> {
    if (!this.config.enabled || this.config.verification === 'off') return;
    await this.sendVerification(user);
  }

  /**
   * Registration with a taken address, when verification is required: the caller answers as for a new address,
   * and the owner gets a "you already have an account" mail instead, after the response.
   */
  accountAlreadyExists(email: string): void {
    this.mailer.background.start('account_exists_notice', async () => {
      const user = await this.users.findByEmail(email);
      if (!user || user.disabled) return;
      await this.mailer.sendLimited(email, () => [
        mailTemplates.accountExists(this.mail, email, user.username),
      ]);
    });
  }

  /** The signed-in user asks for a (new) verification link; answered like the public form. */
  requestVerificationFor(userId: string): void {
    this.mailer.ensureEnabled();
    this.mailer.background.start('verification_request', async () => {
      const user = await this.users.findProfile(userId);
      if (user && !user.disabled && !user.emailVerified)
        await this.sendVerification(user);
    });
  }

  /** The public form: the same answer whether or not the address has an account, or is verified already. */
  requestVerification(email: string): void {
    this.mailer.ensureEnabled();
    this.mailer.background.start('verification_request', async () => {
      const user = await this.users.findByEmail(email);
      if (user && !user.disabled && !user.emailVerified)
        await this.sendVerification(user);
    });
  }

  /** Spends a verification token: valid only while the account still has the address the link was sent to. */
  async verifyEmail(token: string, client: RequestClient): Promise<void> {
    this.mailer.ensureEnabled();
    const found = await this.mailer.findUsable(token, 'email_verify');
    const now = this.clock.now();
    const account = await this.tokens.transaction(async (tx) => {
      if (!(await this.tokens.claim(tx, found.id, now)))
        throw invalidEmailTokenError();
      const verified = await this.tokens.markVerified(
        tx,
        found.userId,
        found.email,
        now,
      );
      if (!verified) throw invalidEmailTokenError();
      await this.tokens.voidPending(tx, found.userId, now, 'email_verify');
      return verified;
    });
    this.users.profileChanged(found.userId);
    if (!account.wasVerified)
      this.events.emit(DomainEvent.EmailVerified, {
        userId: found.userId,
        via: 'link',
        client,
      } satisfies EmailVerifiedEvent);
  }

  private async sendPasswordReset(
    user: User,
    limited: boolean,
  ): Promise<boolean> {
    const address = user.email;
    if (!address) return false;
    const compose = (tx: DbExecutor, now: Date) =>
      this.mailer
        .issueToken(tx, now, user.id, 'password_reset', address)
        .then((token) => [
          mailTemplates.passwordReset(
            this.mail,
            address,
            user.username,
            token,
            this.config.resetTtlSeconds,
          ),
        ]);
    if (limited) return this.mailer.sendLimited(address, compose);
    await this.mailer.write(compose);
    return true;
  }

  private async sendVerification(user: User): Promise<boolean> {
    const address = user.email;
    if (!address) return false;
    return this.mailer.sendLimited(address, (tx, now) =>
      this.mailer
        .issueToken(tx, now, user.id, 'email_verify', address)
        .then((token) => [
          mailTemplates.emailVerification(
            this.mail,
            address,
            user.username,
            token,
            this.config.verifyTtlSeconds,
          ),
        ]),
    );
  }
}
