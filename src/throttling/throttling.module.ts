import { Module } from '@nestjs/common';
import { ConfigModule, type ConfigType } from '@nestjs/config';
import { ThrottlerModule } from '@nestjs/throttler';
import { RedisService } from 'src/redis/redis.module';
import { FailoverThrottlerStorage } from './failover-throttler.storage';
import { IpRateLimitGuard } from './ip-rate-limit.guard';
import { throttlingConfig } from './throttling.config';

/**
 * Per-IP rate limits for the public routes that take credentials or create accounts. Routes opt in with
 * @RateLimited(); nothing is limited globally.
 */
@Module({
  imports: [
    ThrottlerModule.forRootAsync({
      imports: [ConfigModule.forFeature(throttlingConfig)],
      inject: [throttlingConfig.KEY, RedisService],
      useFactory: (
        config: ConfigType<typeof throttlingConfig>,
        redis: RedisService,
      ) => ({
        throttlers: [
          {
            limit: config.maxRequests,
            ttl: config.windowSeconds * 1000,
          },
        ],
        storage: new FailoverThrottlerStorage(redis.client),
      }),
    }),
  ],
  providers: [IpRateLimitGuard],
  exports: [IpRateLimitGuard],
})
export class ThrottlingModule {}
