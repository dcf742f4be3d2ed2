import type { EventEmitter2 } from '@nestjs/event-emitter';
import { Counter, Gauge, type Registry } from 'prom-client';
import {
  DomainEvent,
  type VerifiedTokenCacheStats,
} from 'src/events/domain-events';

/**
 * The verified-token cache's hit rate (rate(hits) / rate(hits + misses)) and fill. The verifier keeps plain counters;
 * they are read here at scrape time (VerifiedTokenCacheStatsRequested), so a protected request pays no metric call.
 */
export function registerVerifiedTokenCacheMetrics(
  registers: Registry[],
  events: EventEmitter2,
): void {
  const stats = async (): Promise<VerifiedTokenCacheStats | undefined> => {
    const answers: unknown[] = await events.emitAsync(
      DomainEvent.VerifiedTokenCacheStatsRequested,
    );
    return answers.find(isStats);
  };
  const counter = (
    name: string,
    help: string,
    read: (s: VerifiedTokenCacheStats) => number,
  ) =>
    new Counter({
      name,
      help,
      registers,
      async collect(this: Counter): Promise<void> {
        const current = await stats();
        this.reset();
        if (current) this.inc(read(current));
      },
    });
  counter(
    'gatehouse_verified_token_cache_hits_total',
    'Access tokens answered from the verified-token cache (no decode, no signature check)',
    (s) => s.hits,
  );
  counter(
    'gatehouse_verified_token_cache_misses_total',
    'Access tokens not in the verified-token cache, verified in full',
    (s) => s.misses,
  );
  new Gauge({
    name: 'gatehouse_verified_token_cache_entries',
    help: 'Tokens held by the verified-token cache (at most VERIFIED_TOKEN_CACHE_ENTRIES)',
    registers,
    async collect(this: Gauge): Promise<void> {
      this.set((await stats())?.entries ?? 0);
    },
  });
}

function isStats(value: unknown): value is VerifiedTokenCacheStats {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as VerifiedTokenCacheStats).hits === 'number'
  );
}
