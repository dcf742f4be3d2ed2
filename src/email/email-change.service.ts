import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { EventEmitter2 } from '@nestjs/event-emitter';
import type { RequestClient } from 'src/common/client-context.decorator';
import { Clock } from 'src/common/clock';
import { emailConfig } from 'src/config/email.config';
import {
  DomainEvent,
  type EmailChangedEvent,
  type EmailChangeRequestedEvent,
} from 'src/events/domain-events';
import { userNotFoundError } from 'src/users/users.errors';
import { UsersService } from 'src/users/users.service';
import {
  emailInUseError,
  emailUnchangedError,
  invalidEmailTokenError,
} from './email.errors';
import { EmailMailer, sameAddress } from './email-mailer';
import { mailTemplates } from './mail-templates';

/**
 * Moving an account to a new address: asked for by the signed-in user (after AccountService checked the current
 * password), applied only when the new address confirms, checked for uniqueness again at that moment.
 */
@Injectable()
export class EmailChangeService {
  constructor(
    private readonly mailer: EmailMailer,
    private readonly users: UsersService,
    private readonly events: EventEmitter2,
    private readonly clock: Clock,
    @Inject(emailConfig.KEY)
    private readonly config: ConfigType<typeof emailConfig>,
  ) {}

  /**
   * After the caller checked the current password: a link to the new address (the change waits for it) and a
   * notice to the current one. Earlier change requests of the user are void.
   */
  async requestEmailChange(
    userId: string,
    newEmail: string,
    client: RequestClient,
  ): Promise<void> {
    this.mailer.ensureEnabled();
    const user = await this.users.findProfile(userId);
    if (!user) throw userNotFoundError();
    if (user.email && sameAddress(user.email, newEmail))
      throw emailUnchangedError();
    const holder = await this.users.findByEmail(newEmail);
    if (holder) throw emailInUseError();
    await this.mailer.sendLimited(
      newEmail,
      (tx, now) =>
        this.mailer
          .issueToken(tx, now, user.id, 'email_change', newEmail)
          .then((token) => [
            mailTemplates.emailChange(
              this.mailer.context,
              newEmail,
              user.username,
              token,
              this.config.verifyTtlSeconds,
            ),
            // An account without an address yet has no old one to warn.
            ...(user.email
              ? [
                  mailTemplates.emailChangeNotice(
                    this.mailer.context,
                    user.email,
                    user.username,
                    newEmail,
                  ),
                ]
              : []),
          ]),
      (tx, now) =>
        this.mailer.tokens.voidPending(tx, user.id, now, 'email_change'),
    );
    this.events.emit(DomainEvent.EmailChangeRequested, {
      userId,
      client,
    } satisfies EmailChangeRequestedEvent);
  }

  /**
   * Spends a change token: the account moves to the new address (verified, since the link was opened from it),
   * unless another account took it meanwhile (409, the token stays unspent). Every other pending token is void.
   */
  async confirmEmailChange(
    token: string,
    client: RequestClient,
  ): Promise<void> {
    this.mailer.ensureEnabled();
    const found = await this.mailer.findUsable(token, 'email_change');
    const now = this.clock.now();
    await this.mailer.tokens.transaction(async (tx) => {
      if (!(await this.mailer.tokens.claim(tx, found.id, now)))
        throw invalidEmailTokenError();
      const changed = await this.mailer.tokens.changeEmail(
        tx,
        found.userId,
        found.email,
        now,
      );
      if (changed === 'taken') throw emailInUseError();
      if (!changed) throw invalidEmailTokenError();
      await this.mailer.tokens.voidPending(tx, found.userId, now);
    });
    this.users.profileChanged(found.userId);
    this.events.emit(DomainEvent.EmailChanged, {
      userId: found.userId,
      client,
    } satisfies EmailChangedEvent);
  }
}
