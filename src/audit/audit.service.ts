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
import { Clock } from 'src/common/clock';
import { addInterval, deleteInterval } from 'src/common/timers';
import { scrub } from 'src/logging/redact';
import { DomainEvent } from 'src/events/domain-events';
import type { AuditEventInput, NewAuditEvent } from './audit-event';
import { AuditEventsRepository } from './audit-events.repository';
import { auditConfig } from 'src/config/audit.config';

/** Events held in memory at most; beyond it the oldest are dropped (and counted) rather than memory growing. */
export const AUDIT_QUEUE_CAPACITY = 10_000;
/** Queued events that trigger a write at once rather than at the next tick. */
const BATCH_SIZE = 100;
/** Rows per INSERT when a backlog is written (9 parameters each, far below PostgreSQL's 65535). */
const WRITE_BATCH = 1_000;
const FLUSH_INTERVAL_MS = 200;
const PURGE_INTERVAL_MS = 60 * 60 * 1000;
const FLUSH_INTERVAL = 'audit.flush';
const PURGE_INTERVAL = 'audit.purge';
const PURGE_BATCH = 1_000;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A malformed id would make the whole batch fail on every retry; it is dropped instead. */
function uuidOrNull(value: string | null | undefined): string | null {
  return value && UUID.test(value) ? value : null;
}

/**
 * Writes the audit trail without making the request that caused an event wait for it: record() only appends to
 * a bounded in-memory queue, which is written in batches (every 200 ms, or at once when 100 are waiting). A
 * failed batch goes back to the queue and is retried. The price is that events of the last ~200 ms are lost if
 * the process dies hard; a graceful shutdown writes them.
 */
@Injectable()
export class AuditService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(AuditService.name);
  private queue: NewAuditEvent[] = [];
  private writing: Promise<void> = Promise.resolve();
  private flushScheduled = false;
  private droppedSinceWarning = 0;
  private failing = false;

  constructor(
    private readonly repository: AuditEventsRepository,
    private readonly events: EventEmitter2,
    private readonly clock: Clock,
    @Inject(auditConfig.KEY)
    private readonly config: ConfigType<typeof auditConfig>,
    private readonly scheduler: SchedulerRegistry,
  ) {}

  onApplicationBootstrap(): void {
    addInterval(this.scheduler, FLUSH_INTERVAL, FLUSH_INTERVAL_MS, () => {
      if (this.queue.length > 0) void this.flush();
    });
    addInterval(this.scheduler, PURGE_INTERVAL, PURGE_INTERVAL_MS, () => {
      this.purgeExpired().catch((error: Error) =>
        this.logger.error(`audit retention purge failed: ${error.message}`),
      );
    });
  }

  async onModuleDestroy(): Promise<void> {
    deleteInterval(this.scheduler, FLUSH_INTERVAL);
    deleteInterval(this.scheduler, PURGE_INTERVAL);
    await this.flush();
  }

  /** Fire and forget: never throws, never waits for the database. */
  record(event: AuditEventInput): void {
    this.enqueue([
      {
        occurredAt: this.clock.now(),
        type: event.type,
        userId: uuidOrNull(event.userId),
        actorId: uuidOrNull(event.actorId),
        sessionId: uuidOrNull(event.sessionId),
        ip: event.client?.ip ?? null,
        userAgent: event.client?.userAgent?.slice(0, 512) ?? null,
        // Details are written by our own code, but a secret must not reach the table by mistake either.
        details: (scrub(event.details ?? {}) as Record<string, unknown>) ?? {},
      },
    ]);
    if (this.queue.length >= BATCH_SIZE && !this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => {
        this.flushScheduled = false;
        void this.flush();
      });
    }
  }

  /** Writes everything queued so far; resolves when it is in the table (or has been re-queued after a failure). */
  flush(): Promise<void> {
    this.writing = this.writing.then(() => this.writeQueued());
    return this.writing;
  }

  /** Deletes events older than AUDIT_RETENTION, in batches so no single statement holds locks for long. */
  async purgeExpired(): Promise<number> {
    const cutoff = new Date(
      this.clock.now().getTime() - this.config.retentionSeconds * 1000,
    );
    let total = 0;
    for (let n = PURGE_BATCH; n === PURGE_BATCH; total += n)
      n = await this.repository.purgeOlderThan(cutoff, PURGE_BATCH);
    return total;
  }

  get queued(): number {
    return this.queue.length;
  }

  private async writeQueued(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, WRITE_BATCH);
      try {
        await this.repository.insertMany(batch);
        if (this.failing)
          this.logger.warn('audit writes recovered; queued events written');
        this.failing = false;
      } catch (error) {
        this.events.emit(DomainEvent.AuditWriteFailed);
        if (!this.failing)
          this.logger.error(
            `audit write failed, will retry: ${(error as Error).message}`,
          );
        this.failing = true;
        // Back in front, oldest first; the next tick retries.
        const waiting = this.queue;
        this.queue = [];
        this.enqueue([...batch, ...waiting]);
        return;
      } finally {
        this.warnAboutDrops();
      }
    }
  }

  private enqueue(events: NewAuditEvent[]): void {
    this.queue.push(...events);
    const excess = this.queue.length - AUDIT_QUEUE_CAPACITY;
    if (excess > 0) {
      this.queue.splice(0, excess);
      this.droppedSinceWarning += excess;
      this.events.emit(DomainEvent.AuditEventsDropped, { count: excess });
    }
  }

  private warnAboutDrops(): void {
    if (this.droppedSinceWarning === 0) return;
    this.logger.warn(
      `audit queue full: dropped the ${this.droppedSinceWarning} oldest events`,
    );
    this.droppedSinceWarning = 0;
  }
}
