import { Module } from '@nestjs/common';
import { ConfigModule, type ConfigType } from '@nestjs/config';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { ThrottlerModule } from '@nestjs/throttler';
import { DomainEvent } from 'src/events/domain-events';
import { RedisService } from 'src/redis/redis.module';
import { FailoverThrottlerStorage } from './failover-throttler.storage';
import { IpRateLimitGuard } from './ip-rate-limit.guard';
import { QuotaService } from './quota.service';
import { throttlingConfig } from 'src/config/throttling.config';

/**
 * Per-IP rate limits for the public routes that take credentials or create accounts. Routes opt in with
 * @RateLimited(); nothing is limited globally.
 */
@Module({
  imports: [
    ThrottlerModule.forRootAsync({
      imports: [ConfigModule.forFeature(throttlingConfig)],
      inject: [throttlingConfig.KEY, RedisService, EventEmitter2],
      useFactory: (
        config: ConfigType<typeof throttlingConfig>,
        redis: RedisService,
        events: EventEmitter2,
      ) => ({
        throttlers: [
          {
            limit: config.maxRequests,
            ttl: config.windowSeconds * 1000,
          },
        ],
        // The tracker is the client address, an IPv6 one cut to this prefix (@nestjs/throttler's normalizeIp).
        ipv6SubnetPrefix: config.ipv6Prefix,
        storage: new FailoverThrottlerStorage(redis.client, {
          maxKeys: config.localMaxKeys,
          onFull: () => events.emit(DomainEvent.RateLimitStoreFull),
        }),
      }),
    }),
  ],
  providers: [IpRateLimitGuard, QuotaService],
  exports: [IpRateLimitGuard, QuotaService],
})
export class ThrottlingModule {}
