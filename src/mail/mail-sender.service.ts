import {
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnModuleDestroy,
} from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { SchedulerRegistry } from '@nestjs/schedule';
import { DrizzleQueryError } from 'drizzle-orm';
import { Clock } from 'src/common/clock';
import { addInterval, deleteInterval, withTimeout } from 'src/common/timers';
import { mailConfig } from 'src/config/mail.config';
import {
  DomainEvent,
  type MailEvent,
  type MailFailedEvent,
} from 'src/events/domain-events';
import {
  decideAfterFailure,
  summarizeError,
  unsafeHeaders,
  type SmtpErrorLike,
} from './mail-delivery.policy';
import {
  MailOutboxRepository,
  type QueuedMail,
} from './mail-outbox.repository';
import { MailTransport } from './mail-transport';

const INTERVAL = 'mail-outbox';
/** Mails claimed, and then sent side by side, per round: each has a connection of its own. */
const BATCH = 10;
const PURGE_EVERY_MS = 60 * 60 * 1000;
/** Shutdown waits at most this long for a running round (a send may still be in its SMTP conversation). */
const MAX_SHUTDOWN_WAIT_MS = 10_000;

/** A database failure without its parameters: the mail bodies carry links. */
function describeDatabaseError(error: unknown): string {
  if (error instanceof DrizzleQueryError) {
    const code = (error.cause as { code?: unknown } | undefined)?.code;
    return `${typeof code === 'string' ? `${code} ` : ''}in ${error.query}`;
  }
  return error instanceof Error ? error.message.split('\n', 1)[0] : 'unknown';
}

/**
 * Sends what the outbox holds: every MAIL_POLL_INTERVAL, and soon after kick(). One round at a time per instance;
 * a kick during a round asks for one more. Instances share the work through the lease claimDue takes.
 */
@Injectable()
export class MailSender implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(MailSender.name);
  private running?: Promise<void>;
  private again = false;
  private started = false;
  private stopped = false;
  /** Aborts the sends still running when shutdown has waited long enough. */
  private readonly shutdown = new AbortController();
  private lastPurgeAt?: number;

  constructor(
    private readonly repository: MailOutboxRepository,
    private readonly transport: MailTransport,
    private readonly events: EventEmitter2,
    private readonly clock: Clock,
    private readonly scheduler: SchedulerRegistry,
    @Inject(mailConfig.KEY)
    private readonly config: ConfigType<typeof mailConfig>,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.config.enabled) return;
    this.started = true;
    addInterval(
      this.scheduler,
      INTERVAL,
      this.config.pollIntervalSeconds * 1000,
      () => this.kick(),
    );
    this.kick();
  }

  /**
   * Before the database closes: no new round starts, and a running one may finish its sends for a while; then they
   * are aborted (recorded as deferred, retried by whichever instance is up when their leases end) and the round is
   * awaited, so nothing of this instance runs on after shutdown.
   */
  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    deleteInterval(this.scheduler, INTERVAL);
    const running = this.running;
    if (running) {
      await withTimeout(
        running,
        Math.min(this.config.timeoutSeconds * 1000, MAX_SHUTDOWN_WAIT_MS),
      ).catch(() => {
        this.logger.warn(
          'mail round still running at shutdown: its sends are aborted and retried later',
        );
        this.shutdown.abort();
      });
      await running.catch(() => undefined);
    }
    this.transport.close();
  }

  /** Sends what is due soon; coalesced with a running round. */
  kick(): void {
    if (!this.started || this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.rounds().finally(() => {
      this.running = undefined;
    });
  }

  private async rounds(): Promise<void> {
    do {
      this.again = false;
      try {
        await this.drain();
        await this.purgeHourly();
      } catch (error) {
        // The next tick tries again; the process carries on.
        this.logger.error(
          `mail outbox round failed: ${describeDatabaseError(error)}`,
        );
      }
    } while (this.again && !this.stopped);
  }

  /** Claims and sends due mails until none is due; returns how many were tried. */
  async drain(): Promise<number> {
    let tried = 0;
    while (!this.stopped) {
      const now = this.clock.now();
      const batch = await this.repository.claimDue(
        now,
        new Date(now.getTime() + this.leaseMs()),
        BATCH,
      );
      await Promise.all(batch.map((mail) => this.deliver(mail)));
      tried += batch.length;
      if (batch.length < BATCH) break;
    }
    return tried;
  }

  /** The lease outlasts the longest conversation (connect, greeting, data: one timeout each) by 30 s. */
  private leaseMs(): number {
    return (3 * this.config.timeoutSeconds + 30) * 1000;
  }

  private async deliver(mail: QueuedMail): Promise<void> {
    const unsafe = unsafeHeaders(mail);
    if (unsafe) {
      await this.fail(mail, 'rejected', unsafe);
      return;
    }
    try {
      await this.transport.send(
        mail,
        AbortSignal.any([
          AbortSignal.timeout(3 * this.config.timeoutSeconds * 1000),
          this.shutdown.signal,
        ]),
      );
    } catch (error) {
      await this.failedTry(mail, error as SmtpErrorLike);
      return;
    }
    await this.repository.markSent(mail.id, this.clock.now());
    this.emit(DomainEvent.MailSent, { kind: mail.kind });
  }

  private async failedTry(
    mail: QueuedMail,
    error: SmtpErrorLike,
  ): Promise<void> {
    const now = this.clock.now();
    const summary = summarizeError(error);
    const decision = decideAfterFailure(mail, error, now, this.config);
    if (decision.action === 'fail') {
      await this.fail(mail, decision.reason, summary);
      return;
    }
    await this.repository.defer(mail.id, decision.nextAttemptAt, summary);
    this.logger.warn(
      `mail ${mail.id} (${mail.kind}) deferred after try ${mail.attempts} until ${decision.nextAttemptAt.toISOString()}: ${summary}`,
    );
    this.emit(DomainEvent.MailDeferred, { kind: mail.kind });
  }

  private async fail(
    mail: QueuedMail,
    reason: MailFailedEvent['reason'],
    summary: string,
  ): Promise<void> {
    await this.repository.markFailed(mail.id, this.clock.now(), summary);
    this.logger.error(
      `mail ${mail.id} (${mail.kind}) given up after try ${mail.attempts} (${reason}): ${summary}`,
    );
    this.emit(DomainEvent.MailFailed, { kind: mail.kind, reason });
  }

  private emit(event: string, payload: MailEvent | MailFailedEvent): void {
    this.events.emit(event, payload);
  }

  private async purgeHourly(): Promise<void> {
    const now = this.clock.now().getTime();
    if (
      this.lastPurgeAt !== undefined &&
      now - this.lastPurgeAt < PURGE_EVERY_MS
    )
      return;
    this.lastPurgeAt = now;
    const purged = await this.repository.purge(
      new Date(now - this.config.retentionSeconds * 1000),
    );
    if (purged > 0) this.logger.log(`purged ${purged} settled mails`);
  }
}
