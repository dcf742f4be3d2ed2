import { createHash } from 'node:crypto';
import {
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnModuleDestroy,
} from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { addInterval, deleteInterval } from 'src/common/timers';
import type { ConfigType } from '@nestjs/config';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { Clock } from 'src/common/clock';
import { emailConfig } from 'src/config/email.config';
import type { DbExecutor } from 'src/database/database.types';
import { DomainEvent } from 'src/events/domain-events';
import { MailOutbox } from 'src/mail/mail-outbox.service';
import type { OutgoingMail } from 'src/mail/outgoing-mail';
import { QuotaService } from 'src/throttling/quota.service';
import { BackgroundWork } from './background-work';
import { emailFeaturesOffError, invalidEmailTokenError } from './email.errors';
import {
  type EmailTokenPurpose,
  generateEmailToken,
  hashEmailToken,
  isWellFormedEmailToken,
} from './email-token';
import {
  EmailTokensRepository,
  type UsableEmailToken,
} from './email-tokens.repository';
import type { MailContext } from './mail-templates';

const PURGE = 'email-tokens.purge';
const HOUR_MS = 3_600_000;

/** Builds the mails of one transaction: given its transaction and time, what to write. */
export type ComposeMails = (
  tx: DbExecutor,
  now: Date,
) => Promise<OutgoingMail[]> | OutgoingMail[];

/**
 * What every email flow shares: tokens issued and found, mails written with their token in one transaction and sent
 * after the response, the per-address limit, and work done after the answer (so its timing tells nothing).
 */
@Injectable()
export class EmailMailer implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('EmailFlows');
  readonly background = new BackgroundWork(this.logger);
  readonly context: MailContext;

  constructor(
    readonly tokens: EmailTokensRepository,
    private readonly outbox: MailOutbox,
    private readonly quota: QuotaService,
    private readonly events: EventEmitter2,
    private readonly clock: Clock,
    private readonly scheduler: SchedulerRegistry,
    @Inject(emailConfig.KEY)
    private readonly config: ConfigType<typeof emailConfig>,
  ) {
    this.context = { productName: config.productName, appUrl: config.appUrl };
  }

  /** Spent and expired tokens are deleted hourly, an hour after they stopped working. */
  onApplicationBootstrap(): void {
    addInterval(this.scheduler, PURGE, HOUR_MS, () => {
      this.purgeExpired().catch((error: Error) =>
        this.logger.error({ event: 'email_tokens_purge_failed', err: error }),
      );
    });
  }

  async onModuleDestroy(): Promise<void> {
    deleteInterval(this.scheduler, PURGE);
    await this.background.settled();
  }

  purgeExpired(): Promise<number> {
    return this.tokens.purgeBefore(
      new Date(this.clock.now().getTime() - HOUR_MS),
    );
  }

  ensureEnabled(): void {
    if (!this.config.enabled) throw emailFeaturesOffError();
  }

  /**
   * Writes the mails (and whatever `before` changes) in one transaction, unless the address already had
   * MAIL_PER_ADDRESS_MAX mails in the window: then nothing is written and the caller's answer does not change.
   */
  async sendLimited(
    address: string,
    compose: ComposeMails,
    before?: (tx: DbExecutor, now: Date) => Promise<void>,
  ): Promise<boolean> {
    const key = `mail:${createHash('sha256').update(address.toLowerCase()).digest('hex')}`;
    const allowed = await this.quota.take(
      key,
      this.config.perAddressMax,
      this.config.perAddressWindowSeconds,
    );
    if (!allowed) {
      this.events.emit(DomainEvent.MailSuppressed);
      return false;
    }
    await this.write(compose, before);
    return true;
  }

  /** Writes the mails in one transaction (with `before`'s changes), then wakes the outbox. */
  async write(
    compose: ComposeMails,
    before?: (tx: DbExecutor, now: Date) => Promise<void>,
  ): Promise<void> {
    const now = this.clock.now();
    await this.tokens.transaction(async (tx) => {
      if (before) await before(tx, now);
      await this.outbox.enqueueIn(tx, await compose(tx, now), now);
    });
    this.outbox.kick();
  }

  /** Mails written by a transaction the caller ran itself; wakes the outbox once it committed. */
  enqueueIn(tx: DbExecutor, mails: OutgoingMail[], now: Date): Promise<void> {
    return this.outbox.enqueueIn(tx, mails, now);
  }

  kick(): void {
    this.outbox.kick();
  }

  async issueToken(
    tx: DbExecutor,
    now: Date,
    userId: string,
    purpose: EmailTokenPurpose,
    email: string,
  ): Promise<string> {
    const token = generateEmailToken();
    const ttl =
      purpose === 'password_reset'
        ? this.config.resetTtlSeconds
        : this.config.verifyTtlSeconds;
    await this.tokens.insert(tx, {
      userId,
      purpose,
      tokenHash: hashEmailToken(token),
      email,
      createdAt: now,
      expiresAt: new Date(now.getTime() + ttl * 1000),
    });
    return token;
  }

  /** A token's row, or 400: malformed tokens are refused before the one indexed lookup of their hash. */
  async findUsable(
    token: string,
    purpose: EmailTokenPurpose,
  ): Promise<UsableEmailToken> {
    if (!isWellFormedEmailToken(token)) throw invalidEmailTokenError();
    const found = await this.tokens.findUsable(
      hashEmailToken(token),
      purpose,
      this.clock.now(),
    );
    if (!found) throw invalidEmailTokenError();
    return found;
  }
}

export function sameAddress(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}
