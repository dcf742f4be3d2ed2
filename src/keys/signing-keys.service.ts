import {
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnModuleDestroy,
  OnModuleInit,
} from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { SchedulerRegistry } from '@nestjs/schedule';
import { Clock } from 'src/common/clock';
import { addInterval, deleteInterval } from 'src/common/timers';
import { keysConfig } from 'src/config/keys.config';
import { tokensConfig } from 'src/config/tokens.config';
import { DomainEvent, type KeyRotatedEvent } from 'src/events/domain-events';
import { RedisService } from 'src/redis/redis.module';
import { type PublicJwk, publicJwkOf } from './key-crypto';
import { buildKeyRing, type KeyRing, type TimedKey } from './key-ring';
import { KeyStoreService } from './key-store.service';
import { keyRotationUnavailableError } from './keys.errors';
import type { AsymmetricAlgorithm, KeyStatus, SigningKey } from './signing-key';
import { pemKey, secretKey } from './static-keys';

type KeySource = 'secret' | 'pem' | 'database';

/** Other instances re-read the key table this often, so a key published ahead reaches them well before it signs. */
export const KEYS_RELOAD_INTERVAL_MS = 30_000;
const RELOAD_INTERVAL = 'keys.reload';
/** A token with an unknown kid triggers at most one re-read per this interval: random kids cannot flood the database. */
export const UNKNOWN_KID_RELOAD_MS = 5_000;
const CHANNEL = 'gatehouse:signing-keys';

export interface JwksKey extends PublicJwk {
  kid: string;
  alg: string;
  use: 'sig';
}

/**
 * The keys that sign and verify access tokens, held in memory as KeyObjects built once (the request path never
 * queries the database). Three sources: the HS256 secret, the operator's PEM, or the database key store with
 * publish-ahead rotation. Each key is pinned to its algorithm; tokens are matched to keys by `kid`.
 */
@Injectable()
export class SigningKeysService
  implements OnModuleInit, OnApplicationBootstrap, OnModuleDestroy
{
  private readonly logger = new Logger(SigningKeysService.name);
  private readonly source: KeySource;
  private readonly retentionSeconds: number;
  private timed: TimedKey[] = [];
  private ring: KeyRing = {
    statuses: [],
    removed: [],
    active: undefined,
    changesAt: Infinity,
  };
  private byKid = new Map<string, { key: SigningKey; removesAtMs: number }>();
  private lastReloadMs = 0;
  private reloading?: Promise<void>;

  constructor(
    @Inject(keysConfig.KEY)
    private readonly config: ConfigType<typeof keysConfig>,
    @Inject(tokensConfig.KEY)
    tokens: ConfigType<typeof tokensConfig>,
    private readonly store: KeyStoreService,
    private readonly redis: RedisService,
    private readonly clock: Clock,
    private readonly events: EventEmitter2,
    private readonly scheduler: SchedulerRegistry,
  ) {
    this.retentionSeconds =
      tokens.accessTtlSeconds + tokens.clockToleranceSeconds;
    this.source =
      config.algorithm === 'HS256'
        ? 'secret'
        : config.privateKeyPem || config.privateKeyFile
          ? 'pem'
          : 'database';
  }

  /** Loads the keys; a bad PEM or KEYS_ENCRYPTION_KEY stops the start here, with one line naming the key. */
  async onModuleInit(): Promise<void> {
    if (this.source === 'secret')
      return this.useStatic(secretKey(this.config, this.logger));
    if (this.source === 'pem')
      return this.useStatic(
        pemKey({
          ...this.config,
          algorithm: this.config.algorithm as AsymmetricAlgorithm,
        }),
      );
    const now = this.clock.now();
    this.apply(await this.store.load(), now);
    if (await this.store.ensureSigningKey(this.ring, now))
      this.apply(await this.store.load(), now);
    await this.reload();
  }

  async onApplicationBootstrap(): Promise<void> {
    if (this.source !== 'database') return;
    addInterval(this.scheduler, RELOAD_INTERVAL, KEYS_RELOAD_INTERVAL_MS, () =>
      this.reloadInBackground(),
    );
    const subscriber = this.redis.createSubscriber();
    if (subscriber) {
      subscriber.on('message', () => this.reloadInBackground(true));
      await subscriber
        .subscribe(CHANNEL)
        .catch((e: Error) =>
          this.logger.error(`subscribe failed: ${e.message}`),
        );
    }
  }

  onModuleDestroy(): void {
    deleteInterval(this.scheduler, RELOAD_INTERVAL);
  }

  /** The key new tokens are signed with. */
  currentKey(): SigningKey {
    this.catchUp();
    if (!this.ring.active) throw new Error('no signing key is active');
    return this.ring.active;
  }

  /** The key for a token's `kid`, or undefined when the kid is unknown or removed (the token is then invalid). */
  findKey(kid: unknown): SigningKey | undefined {
    if (typeof kid !== 'string') return undefined;
    this.catchUp();
    const entry = this.byKid.get(kid);
    if (!entry) {
      this.reloadInBackground();
      return undefined;
    }
    if (
      entry.removesAtMs !== Infinity &&
      this.clock.now().getTime() >= entry.removesAtMs
    )
      return undefined;
    return entry.key;
  }

  /** Published keys with their timeline. */
  statuses(): KeyStatus[] {
    this.catchUp();
    return this.ring.statuses;
  }

  /** The public keys verifiers need (empty for HS256): public members only, whitelisted per key type. */
  jwks(): JwksKey[] {
    return this.statuses()
      .filter((s) => s.key.alg !== 'HS256')
      .map((s) => ({
        kid: s.key.kid,
        alg: s.key.alg,
        use: 'sig',
        ...publicJwkOf(s.key.verificationKey),
      }));
  }

  /** How long verifiers may cache the JWKS: well inside the publish-ahead interval, at most 15 minutes. */
  get jwksMaxAgeSeconds(): number {
    return Math.min(900, Math.floor(this.config.keyPublishAheadSeconds / 2));
  }

  /** Starts a rotation now (see KeyStoreService.rotate) and tells the other instances. */
  async rotate(immediate: boolean, actorId?: string): Promise<KeyStatus> {
    if (this.source !== 'database')
      throw keyRotationUnavailableError(this.source);
    const now = this.clock.now();
    this.apply(await this.store.load(), now);
    const kid = await this.store.rotate(this.ring, now, immediate);
    this.apply(await this.store.load(), this.clock.now());
    await this.announce();
    this.events.emit(DomainEvent.KeyRotated, {
      kid,
      immediate,
      actorId,
    } satisfies KeyRotatedEvent);
    const status = this.ring.statuses.find((s) => s.key.kid === kid);
    if (!status) throw new Error(`rotated key ${kid} is not in the ring`);
    return status;
  }

  /**
   * Re-reads the key table, publishes the next key when one is due and deletes removed keys. Runs on a timer, on
   * an unknown kid (rate-limited) and when another instance announces a change.
   */
  async reload(): Promise<void> {
    if (this.source !== 'database') return;
    this.lastReloadMs = this.clock.now().getTime();
    const now = this.clock.now();
    this.apply(await this.store.load(), now);
    if (await this.store.rotateIfDue(this.ring, now)) {
      this.apply(await this.store.load(), now);
      await this.announce();
    }
    await this.store.deleteRemoved(this.ring);
  }

  private reloadInBackground(force = false): void {
    if (this.source !== 'database' || this.reloading) return;
    if (
      !force &&
      this.clock.now().getTime() - this.lastReloadMs < UNKNOWN_KID_RELOAD_MS
    )
      return;
    this.reloading = this.reload()
      .catch((error: Error) =>
        this.logger.error(`reloading signing keys failed: ${error.message}`),
      )
      .finally(() => {
        this.reloading = undefined;
      });
  }

  private async announce(): Promise<void> {
    await this.redis.client
      ?.publish(CHANNEL, 'changed')
      .catch((error: Error) =>
        this.logger.warn(
          `could not announce a key change (other instances pick it up within ${KEYS_RELOAD_INTERVAL_MS / 1000}s): ${error.message}`,
        ),
      );
  }

  /** JWT_SECRET or the operator's PEM: one key, published and signing since this start. */
  private useStatic(key: SigningKey): void {
    const now = this.clock.now();
    this.apply([{ key, createdAt: now, activatesAt: now }], now);
  }

  /** Rebuilds the ring when a scheduled activation or removal has come. */
  private catchUp(): void {
    if (this.ring.changesAt === Infinity) return;
    const now = this.clock.now();
    if (now.getTime() >= this.ring.changesAt) this.apply(this.timed, now);
  }

  private apply(timed: TimedKey[], now: Date): void {
    this.timed = timed;
    this.ring = buildKeyRing(timed, now, this.retentionSeconds);
    this.byKid = new Map(
      this.ring.statuses.map((s) => [
        s.key.kid,
        { key: s.key, removesAtMs: s.removesAt?.getTime() ?? Infinity },
      ]),
    );
  }
}
