import { Logger } from '@nestjs/common';
import type { EventEmitter2 } from '@nestjs/event-emitter';
import { Counter, Gauge, type Registry } from 'prom-client';
import { DomainEvent, type MailFailedEvent } from 'src/events/domain-events';

/**
 * The mail outbox's counters (by template kind) and its pending gauge, which asks mail for the count on each
 * scrape (metrics reads no other feature's table). Without the mail feature nobody answers and the gauge shows 0.
 */
export class MailMetrics {
  private readonly logger = new Logger('MailMetrics');
  private readonly queuedTotal: Counter<'kind'>;
  private readonly sentTotal: Counter<'kind'>;
  private readonly deferredTotal: Counter<'kind'>;
  private readonly failedTotal: Counter<'kind' | 'reason'>;
  private readonly suppressedTotal: Counter;
  private pendingQuery?: Promise<number>;

  constructor(registers: Registry[], events: EventEmitter2) {
    this.queuedTotal = new Counter({
      name: 'gatehouse_mail_queued_total',
      help: 'Mails stored in the outbox, by template',
      labelNames: ['kind'],
      registers,
    });
    this.sentTotal = new Counter({
      name: 'gatehouse_mail_sent_total',
      help: 'Mails the SMTP server accepted (or written to DATA_DIR/mail), by template',
      labelNames: ['kind'],
      registers,
    });
    this.deferredTotal = new Counter({
      name: 'gatehouse_mail_deferred_total',
      help: 'Failed tries that will be retried, by template',
      labelNames: ['kind'],
      registers,
    });
    this.failedTotal = new Counter({
      name: 'gatehouse_mail_failed_total',
      help: 'Mails given up on, by template and reason (rejected: refused for good; expired: older than MAIL_MAX_AGE)',
      labelNames: ['kind', 'reason'],
      registers,
    });
    this.suppressedTotal = new Counter({
      name: 'gatehouse_mail_suppressed_total',
      help: 'Mails not written because their address had MAIL_PER_ADDRESS_MAX mails in the window',
      registers,
    });
    const pending = (): Promise<number> => this.pending(events);
    new Gauge({
      name: 'gatehouse_mail_outbox_pending',
      help: 'Mails in the outbox neither sent nor given up on',
      registers,
      async collect(this: Gauge): Promise<void> {
        this.set(await pending());
      },
    });
  }

  queued(kind: string): void {
    this.queuedTotal.inc({ kind });
  }

  sent(kind: string): void {
    this.sentTotal.inc({ kind });
  }

  deferred(kind: string): void {
    this.deferredTotal.inc({ kind });
  }

  suppressed(): void {
    this.suppressedTotal.inc();
  }

  failed(event: MailFailedEvent): void {
    this.failedTotal.inc({ kind: event.kind, reason: event.reason });
  }

  /** Concurrent scrapes share one question. */
  private pending(events: EventEmitter2): Promise<number> {
    this.pendingQuery ??= events
      .emitAsync(DomainEvent.MailPendingCountRequested)
      .then((answers: unknown[]) => {
        const count = answers.find(
          (answer): answer is number => typeof answer === 'number',
        );
        return count ?? 0;
      })
      .catch((error: Error) => {
        this.logger.warn(`counting pending mail failed: ${error.message}`);
        return 0;
      })
      .finally(() => {
        this.pendingQuery = undefined;
      });
    return this.pendingQuery;
  }
}
