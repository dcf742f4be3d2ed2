import { Injectable } from '@nestjs/common';
import { BoundedMap } from 'src/common/bounded-map';
import { Clock } from 'src/common/clock';
import { RevocationService } from 'src/revocation/revocation.service';
import type { User } from './user';

const MAX_ENTRIES = 10_000;
/** Bounds staleness of fields no revocation announces (re-enabling an account) on other instances. */
const TTL_MS = 60_000;

/**
 * Profiles for GET /auth/me, so a protected request in steady state makes no database query. Entries are
 * dropped on every local write and on every user-level revocation (role change, disable, delete), which also
 * reaches other instances over Redis; a short TTL bounds anything else. Bounded: oldest entries go first.
 */
@Injectable()
export class UserProfileCache {
  private readonly entries = new BoundedMap<
    string,
    { user: User; expiresAt: number }
  >(MAX_ENTRIES);

  constructor(
    private readonly clock: Clock,
    revocations: RevocationService,
  ) {
    revocations.onUserRevoked((userId) => this.forget(userId));
  }

  get(id: string): User | undefined {
    const entry = this.entries.get(id);
    if (!entry) return undefined;
    if (entry.expiresAt <= this.clock.now().getTime()) {
      this.entries.delete(id);
      return undefined;
    }
    return entry.user;
  }

  set(user: User): void {
    this.entries.set(user.id, {
      user,
      expiresAt: this.clock.now().getTime() + TTL_MS,
    });
  }

  forget(id: string): void {
    this.entries.delete(id);
  }

  get size(): number {
    return this.entries.size;
  }
}
