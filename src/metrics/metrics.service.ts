import { Injectable, Logger } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import {
  collectDefaultMetrics,
  Counter,
  Gauge,
  Histogram,
  Registry,
} from 'prom-client';
import { Clock } from 'src/common/clock';
import { DomainEvent } from 'src/events/domain-events';
import { MailMetrics } from './mail-metrics';
import type { ScrapeView } from './metrics-access.service';
import { registerVerifiedTokenCacheMetrics } from './verified-token-cache-metrics';
import {
  LOGIN_OUTCOMES,
  type LoginOutcome,
  REFRESH_OUTCOMES,
  type RefreshOutcome,
  TOKEN_FAILURE_REASONS,
  type TokenFailureReason,
} from './metric-labels';

/** A scrape storm must not become a query storm: the count is reused for this long. */
const ACTIVE_SESSIONS_TTL_MS = 15_000;

/** Login outcomes a client learns anyway (its own 200 or 429); every other outcome answers the same 401. */
const PUBLIC_LOGIN_OUTCOMES: ReadonlySet<string> = new Set([
  'succeeded',
  'locked_out',
]);
/** The one outcome an unauthenticated scrape shows for every failure that answers the same 401. */
const MERGED_LOGIN_FAILURE = 'failed';

/**
 * Every Gatehouse metric, in registries of this application's own (not prom-client's global one), so several
 * applications in one process (tests) never collide. MetricsListener calls the typed methods below. Two views share
 * every metric but the login counter: `full` counts logins by reason, `public` (a scrape no token authenticated)
 * folds the reasons that answer the same 401 into `failed`, so the counters cannot tell whether an account exists.
 */
@Injectable()
export class MetricsService {
  private readonly logger = new Logger(MetricsService.name);
  private readonly views: Record<ScrapeView, Registry>;
  private readonly httpDuration: Histogram<'method' | 'route' | 'status_code'>;
  private readonly logins: Counter<'outcome'>;
  private readonly publicLogins: Counter<'outcome'>;
  private readonly refreshes: Counter<'outcome'>;
  private readonly lockouts: Counter;
  private readonly tokenFailures: Counter<'reason'>;
  private readonly auditDropped: Counter;
  private readonly auditWriteFailures: Counter;
  private readonly rateLimitStoreFulls: Counter;
  private readonly hashQueueRejections: Counter;
  /** The mail outbox's counters and pending gauge (mail-metrics.ts). */
  readonly mail: MailMetrics;
  private activeSessions?: { value: number; at: number };
  private activeSessionsQuery?: Promise<number>;

  constructor(
    private readonly events: EventEmitter2,
    private readonly clock: Clock,
  ) {
    const shared = new Registry();
    const fullLogins = new Registry();
    const publicLogins = new Registry();
    const registers = [shared];
    collectDefaultMetrics({ register: shared });
    this.httpDuration = new Histogram({
      name: 'gatehouse_http_request_duration_seconds',
      help: 'HTTP request duration by route template and status code',
      labelNames: ['method', 'route', 'status_code'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    });
    this.logins = new Counter({
      name: 'gatehouse_login_attempts_total',
      help: 'Login attempts by outcome',
      labelNames: ['outcome'],
      registers: [fullLogins],
    });
    this.publicLogins = new Counter({
      name: 'gatehouse_login_attempts_total',
      help: 'Login attempts by outcome (failed: every refusal answered with the same 401; METRICS_TOKEN shows why)',
      labelNames: ['outcome'],
      registers: [publicLogins],
    });
    this.refreshes = new Counter({
      name: 'gatehouse_token_refreshes_total',
      help: 'Refresh-token exchanges by outcome (rotated, grace, reuse)',
      labelNames: ['outcome'],
      registers,
    });
    this.lockouts = new Counter({
      name: 'gatehouse_lockouts_total',
      help: 'Accounts or clients locked out after repeated failed logins',
      registers,
    });
    this.tokenFailures = new Counter({
      name: 'gatehouse_token_verification_failures_total',
      help: 'Access tokens refused on protected routes, by reason',
      labelNames: ['reason'],
      registers,
    });
    this.auditDropped = new Counter({
      name: 'gatehouse_audit_events_dropped_total',
      help: 'Audit events dropped because the write queue was full',
      registers,
    });
    this.auditWriteFailures = new Counter({
      name: 'gatehouse_audit_write_failures_total',
      help: 'Failed audit batch writes (the batch is retried)',
      registers,
    });
    this.rateLimitStoreFulls = new Counter({
      name: 'gatehouse_rate_limit_store_full_total',
      help: 'Requests counted on the shared overflow counter because the local rate-limit store was full',
      registers,
    });
    this.hashQueueRejections = new Counter({
      name: 'gatehouse_hash_queue_rejections_total',
      help: 'Password hashes refused with 503 after waiting HASH_QUEUE_MAX_WAIT for a free slot',
      registers,
    });
    this.mail = new MailMetrics(registers, events);
    registerVerifiedTokenCacheMetrics(registers, events);
    const countActiveSessions = (): Promise<number> =>
      this.countActiveSessions();
    new Gauge({
      name: 'gatehouse_active_sessions',
      help: 'Sessions that are neither ended nor expired (refreshed at most every 15 s)',
      registers,
      // prom-client calls this on each scrape with the gauge as `this`.
      async collect(this: Gauge): Promise<void> {
        this.set(await countActiveSessions());
      },
    });
    // Zero series from the start, so rate() and "did it move" work before the first event.
    for (const outcome of LOGIN_OUTCOMES) this.loginOutcome(outcome, 0);
    for (const outcome of REFRESH_OUTCOMES) this.refreshes.inc({ outcome }, 0);
    for (const reason of TOKEN_FAILURE_REASONS)
      this.tokenFailures.inc({ reason }, 0);
    this.views = {
      full: Registry.merge([shared, fullLogins]),
      public: Registry.merge([shared, publicLogins]),
    };
  }

  loginOutcome(outcome: LoginOutcome, count = 1): void {
    this.logins.inc({ outcome }, count);
    this.publicLogins.inc(
      {
        outcome: PUBLIC_LOGIN_OUTCOMES.has(outcome)
          ? outcome
          : MERGED_LOGIN_FAILURE,
      },
      count,
    );
  }

  refreshOutcome(outcome: RefreshOutcome): void {
    this.refreshes.inc({ outcome });
  }

  lockout(): void {
    this.lockouts.inc();
  }

  tokenVerificationFailed(reason: TokenFailureReason): void {
    this.tokenFailures.inc({ reason });
  }

  auditEventsDropped(count: number): void {
    this.auditDropped.inc(count);
  }

  auditWriteFailed(): void {
    this.auditWriteFailures.inc();
  }

  rateLimitStoreFull(): void {
    this.rateLimitStoreFulls.inc();
  }

  hashQueueRejected(): void {
    this.hashQueueRejections.inc();
  }

  observeHttpRequest(
    method: string,
    route: string,
    statusCode: number,
    seconds: number,
  ): void {
    this.httpDuration.observe(
      { method, route, status_code: String(statusCode) },
      seconds,
    );
  }

  render(view: ScrapeView): Promise<string> {
    return this.views[view].metrics();
  }

  private async countActiveSessions(): Promise<number> {
    const now = this.clock.now();
    if (
      this.activeSessions &&
      now.getTime() - this.activeSessions.at < ACTIVE_SESSIONS_TTL_MS
    )
      return this.activeSessions.value;
    // Concurrent scrapes share one query. Sessions owns its table and answers the question (metrics reads none).
    this.activeSessionsQuery ??= this.countLiveSessions(now)
      .then((value) => {
        this.activeSessions = { value, at: now.getTime() };
        return value;
      })
      .catch((error: Error) => {
        this.logger.warn(`counting active sessions failed: ${error.message}`);
        return this.activeSessions?.value ?? 0;
      })
      .finally(() => {
        this.activeSessionsQuery = undefined;
      });
    return this.activeSessionsQuery;
  }

  private async countLiveSessions(now: Date): Promise<number> {
    const answers: unknown[] = await this.events.emitAsync(
      DomainEvent.LiveSessionsCountRequested,
      now,
    );
    const count = answers.find(
      (answer): answer is number => typeof answer === 'number',
    );
    if (count === undefined) throw new Error('no live-sessions count');
    return count;
  }
}
