import {
  Global,
  Inject,
  Injectable,
  Logger,
  Module,
  OnApplicationShutdown,
} from '@nestjs/common';
import { ConfigModule, type ConfigType } from '@nestjs/config';
import Redis from 'ioredis';
import { redisConfig } from 'src/config/redis.config';

/**
 * The shared Redis connection, or none when REDIS_URL is unset (a single instance then keeps its state in process).
 * Commands fail fast while Redis is down instead of queueing, so callers can fall back and log.
 */
@Injectable()
export class RedisService implements OnApplicationShutdown {
  private readonly logger = new Logger('Redis');
  readonly client: Redis | undefined;
  private readonly subscribers: Redis[] = [];

  constructor(@Inject(redisConfig.KEY) config: ConfigType<typeof redisConfig>) {
    if (config.url) {
      this.client = this.connect(config.url, 'commands');
    }
  }

  get enabled(): boolean {
    return this.client !== undefined;
  }

  /** A separate connection in subscriber mode (Redis requires one per subscriber). */
  createSubscriber(): Redis | undefined {
    if (!this.client) return undefined;
    const subscriber = this.client.duplicate({
      enableOfflineQueue: true,
      maxRetriesPerRequest: null,
    });
    this.watch(subscriber, 'subscriber');
    this.subscribers.push(subscriber);
    return subscriber;
  }

  private connect(url: string, role: string): Redis {
    const client = new Redis(url, {
      maxRetriesPerRequest: 1,
      enableOfflineQueue: false,
      retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
    });
    this.watch(client, role);
    return client;
  }

  private watch(client: Redis, role: string): void {
    let down = false;
    client.on('error', (error: Error) => {
      if (!down)
        this.logger.error(`Redis ${role} connection error: ${error.message}`);
      down = true;
    });
    client.on('ready', () => {
      if (down) this.logger.warn(`Redis ${role} connection restored`);
      down = false;
    });
  }

  async onApplicationShutdown(): Promise<void> {
    for (const connection of [...this.subscribers, this.client]) {
      if (!connection) continue;
      // QUIT on a connection that is not ready waits for a reconnect that may never come: just drop it.
      if (connection.status !== 'ready') {
        connection.disconnect();
        continue;
      }
      try {
        await connection.quit();
      } catch {
        connection.disconnect();
      }
    }
  }
}

@Global()
@Module({
  imports: [ConfigModule.forFeature(redisConfig)],
  providers: [RedisService],
  exports: [RedisService],
})
export class RedisModule {}
