import type { KeyStatus, SigningKey } from './signing-key';

/** A key with the two instants that decide its state. */
export interface TimedKey {
  key: SigningKey;
  createdAt: Date;
  activatesAt: Date;
  /** The kid this key took over from (database keys only). */
  succeeds?: string | null;
}

export interface KeyRing {
  /** Published keys (pending, active, retired), oldest activation first. */
  statuses: KeyStatus[];
  /** Keys whose every token has expired: no longer published or accepted, to be deleted. */
  removed: TimedKey[];
  active: SigningKey | undefined;
  /** Epoch ms of the next state change (an activation or a removal); Infinity when nothing is scheduled. */
  changesAt: number;
}

function compare(a: TimedKey, b: TimedKey): number {
  return (
    a.activatesAt.getTime() - b.activatesAt.getTime() ||
    a.createdAt.getTime() - b.createdAt.getTime() ||
    a.key.kid.localeCompare(b.key.kid)
  );
}

/**
 * The state of every key at `now`. The active key is the one activated last; each older key retired when its
 * successor activated and is removed `retentionSeconds` later (the access-token lifetime plus clock tolerance),
 * when no token it signed can still be valid.
 */
export function buildKeyRing(
  keys: TimedKey[],
  now: Date,
  retentionSeconds: number,
): KeyRing {
  const sorted = [...keys].sort(compare);
  const nowMs = now.getTime();
  let activeIndex = -1;
  sorted.forEach((k, i) => {
    if (k.activatesAt.getTime() <= nowMs) activeIndex = i;
  });
  // Every key in the future means this clock is behind the one that created them: sign with the earliest
  // rather than not at all (it is published, so verifiers already have it).
  if (activeIndex < 0 && sorted.length > 0) activeIndex = 0;
  const ring: KeyRing = {
    statuses: [],
    removed: [],
    active: activeIndex >= 0 ? sorted[activeIndex].key : undefined,
    changesAt: Infinity,
  };
  sorted.forEach((k, i) => {
    const base = {
      key: k.key,
      publishedAt: k.createdAt,
      activatesAt: k.activatesAt,
    };
    if (i > activeIndex) {
      ring.statuses.push({ ...base, state: 'pending' });
      ring.changesAt = Math.min(ring.changesAt, k.activatesAt.getTime());
      return;
    }
    if (i === activeIndex) {
      ring.statuses.push({ ...base, state: 'active' });
      return;
    }
    const retiredAt = sorted[i + 1].activatesAt;
    const removesAt = new Date(retiredAt.getTime() + retentionSeconds * 1000);
    if (removesAt.getTime() <= nowMs) {
      ring.removed.push(k);
      return;
    }
    ring.statuses.push({ ...base, state: 'retired', retiredAt, removesAt });
    ring.changesAt = Math.min(ring.changesAt, removesAt.getTime());
  });
  return ring;
}
