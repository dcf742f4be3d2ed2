import { createPublicKey } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { keysConfig } from 'src/config/keys.config';
import { InvalidEnvironmentError } from 'src/config/env.schema';
import { loadOrCreateDevSecret } from './dev-secret';
import {
  decryptPrivateKey,
  deriveEncryptionKey,
  encryptPrivateKey,
  generateSigningKeyPair,
  keyMismatch,
  publicHalfMismatch,
  publicJwkOf,
  thumbprintOf,
} from './key-crypto';
import type { KeyRing, TimedKey } from './key-ring';
import type { AsymmetricAlgorithm } from './signing-key';
import {
  SigningKeysRepository,
  type SigningKeyRow,
} from './signing-keys.repository';

/**
 * The database key store (RS256/ES256 without JWT_PRIVATE_KEY): loads and decrypts keys, creates the first key,
 * rotates on schedule or on demand, deletes removed keys. Every write is safe with several instances: a new key
 * names the key it succeeds and that name is unique, so concurrent rotations produce exactly one key.
 */
@Injectable()
export class KeyStoreService {
  private readonly logger = new Logger(KeyStoreService.name);
  private encryptionKey?: Buffer;
  /** Kids already reported as refused, so the reload every 30 s does not repeat the error. */
  private readonly refusedKids = new Set<string>();

  constructor(
    private readonly repository: SigningKeysRepository,
    @Inject(keysConfig.KEY)
    private readonly config: ConfigType<typeof keysConfig>,
  ) {}

  private get algorithm(): AsymmetricAlgorithm {
    return this.config.algorithm as AsymmetricAlgorithm;
  }

  private key(): Buffer {
    if (this.encryptionKey) return this.encryptionKey;
    let secret = this.config.keysEncryptionKey;
    if (!secret) {
      // Production never gets here: the env schema requires KEYS_ENCRYPTION_KEY there.
      const generated = loadOrCreateDevSecret(
        this.config.dataDir,
        'keys-encryption-key',
      );
      secret = generated.value;
      this.logger.warn(
        `KEYS_ENCRYPTION_KEY is not set: private signing keys are encrypted with a development key ${generated.created ? 'generated into' : 'read from'} ${generated.path}. Set KEYS_ENCRYPTION_KEY in production.`,
      );
    }
    this.encryptionKey = deriveEncryptionKey(secret);
    return this.encryptionKey;
  }

  /**
   * Every stored key, decrypted. A key that does not decrypt means KEYS_ENCRYPTION_KEY changed: the start stops. A
   * key whose public half is not its private key's is left out: never published, never used to verify or sign.
   */
  async load(): Promise<TimedKey[]> {
    const rows = await this.repository.listAll();
    return rows
      .map((row) => this.toTimedKey(row))
      .filter((key): key is TimedKey => key !== undefined);
  }

  /**
   * At start: makes sure a key of the configured algorithm signs. With none stored, or after JWT_ALGORITHM
   * changed, a new key signs at once (older keys keep verifying until their tokens expire).
   */
  async ensureSigningKey(ring: KeyRing, now: Date): Promise<boolean> {
    const active = ring.active;
    if (active?.alg === this.algorithm) return false;
    const pending = ring.statuses.filter((s) => s.state === 'pending');
    // Keys published ahead with the old algorithm never signed anything: dropping them is safe.
    await this.repository.deleteKeys(
      pending.filter((s) => s.key.alg !== this.algorithm).map((s) => s.key.kid),
    );
    const ready = pending.find((s) => s.key.alg === this.algorithm);
    if (ready && (await this.repository.activateNow(ready.key.kid, now))) {
      this.logger.log({ event: 'signing_key_activated', kid: ready.key.kid });
      return true;
    }
    const created = await this.createKey(active?.kid ?? null, now, now);
    if (created)
      this.logger.log({
        event: 'signing_key_created',
        kid: created,
        alg: this.algorithm,
        reason: active ? 'algorithm_changed' : 'first_key',
      });
    return created !== undefined;
  }

  /** Publishes the next key when the active one is due (JWT_KEY_ROTATION), ahead by JWT_KEY_PUBLISH_AHEAD. */
  async rotateIfDue(ring: KeyRing, now: Date): Promise<boolean> {
    const rotation = this.config.keyRotationSeconds;
    const active = ring.statuses.find((s) => s.state === 'active');
    if (rotation === undefined || !active) return false;
    if (ring.statuses.some((s) => s.state === 'pending')) return false;
    const aheadMs = this.config.keyPublishAheadSeconds * 1000;
    const dueMs = active.activatesAt.getTime() + rotation * 1000;
    if (now.getTime() < dueMs - aheadMs) return false;
    // Overdue (every instance was down): still publish ahead, so verifiers can fetch the key before it signs.
    const activatesAt = new Date(Math.max(dueMs, now.getTime() + aheadMs));
    const created = await this.createKey(active.key.kid, now, activatesAt);
    if (created)
      this.logger.log({
        event: 'signing_key_created',
        kid: created,
        alg: this.algorithm,
        reason: 'scheduled_rotation',
        activatesAt: activatesAt.toISOString(),
      });
    return created !== undefined;
  }

  /**
   * Rotates on demand: publishes a new key that signs after the publish-ahead interval, or at once with
   * `immediate` (then a key already published ahead is activated rather than a second one created).
   * Returns the kid of the key that now succeeds the active one.
   */
  async rotate(ring: KeyRing, now: Date, immediate: boolean): Promise<string> {
    const active = ring.statuses.find((s) => s.state === 'active');
    let successor = ring.statuses.find((s) => s.state === 'pending')?.key.kid;
    if (!successor) {
      const activatesAt = immediate
        ? now
        : new Date(now.getTime() + this.config.keyPublishAheadSeconds * 1000);
      successor = await this.createKey(
        active?.key.kid ?? null,
        now,
        activatesAt,
      );
      if (successor)
        this.logger.log({
          event: 'signing_key_created',
          kid: successor,
          alg: this.algorithm,
          reason: immediate ? 'manual_rotation_immediate' : 'manual_rotation',
          activatesAt: activatesAt.toISOString(),
        });
      // Lost a race with another instance: its key is the successor.
      successor ??= (await this.repository.listAll()).find(
        (row) => row.succeeds === (active?.key.kid ?? null),
      )?.kid;
    }
    if (!successor) throw new Error('no successor key after rotation');
    if (immediate && (await this.repository.activateNow(successor, now)))
      this.logger.log({ event: 'signing_key_activated', kid: successor });
    return successor;
  }

  async deleteRemoved(ring: KeyRing): Promise<void> {
    if (ring.removed.length === 0) return;
    await this.repository.deleteKeys(ring.removed.map((k) => k.key.kid));
    for (const removed of ring.removed)
      this.logger.log({ event: 'signing_key_removed', kid: removed.key.kid });
  }

  /** Generates, encrypts and inserts a key; undefined when another instance's key won the insert. */
  private async createKey(
    succeeds: string | null,
    now: Date,
    activatesAt: Date,
  ): Promise<string | undefined> {
    const { privateKey, publicKey } = await generateSigningKeyPair(
      this.algorithm,
    );
    const publicJwk = publicJwkOf(publicKey);
    const kid = thumbprintOf(publicJwk);
    const inserted = await this.repository.insertSuccessor({
      kid,
      alg: this.algorithm,
      publicJwk,
      privateKeyEncrypted: encryptPrivateKey(privateKey, kid, this.key()),
      succeeds,
      createdAt: now,
      activatesAt,
    });
    return inserted ? kid : undefined;
  }

  private toTimedKey(row: SigningKeyRow): TimedKey | undefined {
    let signingKey;
    try {
      signingKey = decryptPrivateKey(
        row.privateKeyEncrypted,
        row.kid,
        this.key(),
      );
    } catch {
      throw new InvalidEnvironmentError(
        `Invalid configuration: KEYS_ENCRYPTION_KEY: it does not decrypt the signing key ${row.kid} stored in the database; start with the KEYS_ENCRYPTION_KEY the keys were created with`,
      );
    }
    const reason =
      publicHalfMismatch(signingKey, row.kid, row.publicJwk) ??
      keyMismatch(signingKey, row.alg);
    if (reason) {
      if (!this.refusedKids.has(row.kid))
        this.logger.error({
          event: 'signing_key_refused',
          kid: row.kid,
          reason: `${reason}: the row was altered outside Gatehouse; the key is neither published nor used. Inspect the row, then delete it (a rotation cannot take the refused key's place while it remains)`,
        });
      this.refusedKids.add(row.kid);
      return undefined;
    }
    return {
      key: {
        kid: row.kid,
        alg: row.alg,
        signingKey,
        // Derived from the private key, never read from the row: the check above proved them equal.
        verificationKey: createPublicKey(signingKey),
      },
      createdAt: row.createdAt,
      activatesAt: row.activatesAt,
      succeeds: row.succeeds,
    };
  }
}
