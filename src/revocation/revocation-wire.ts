import type { RevocationEntry } from './revocations.repository';

/** The Redis channel every instance publishes its revocations on and subscribes to. */
export const REVOCATION_CHANNEL = 'gatehouse:revocations';

interface WireEntry {
  k: RevocationEntry['kind'];
  id: string;
  nb: number;
  ku: number;
  /** The cut-off token version, for `k: 'user'`. */
  v?: number;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function encodeRevocations(entries: RevocationEntry[]): string {
  const wire: WireEntry[] = entries.map((e) => ({
    k: e.kind,
    id: e.subjectId,
    nb: e.notBefore.getTime(),
    ku: e.keepUntil.getTime(),
    ...(e.minTokenVersion === null || e.minTokenVersion === undefined
      ? {}
      : { v: e.minTokenVersion }),
  }));
  return JSON.stringify(wire);
}

/** The entries of a message from another instance, or undefined when any part of it is malformed. */
export function decodeRevocations(
  message: string,
): RevocationEntry[] | undefined {
  let wire: unknown;
  try {
    wire = JSON.parse(message);
  } catch {
    return undefined;
  }
  if (!Array.isArray(wire) || !wire.every(isWireEntry)) return undefined;
  return wire.map((w) => ({
    kind: w.k,
    subjectId: w.id,
    notBefore: new Date(w.nb),
    minTokenVersion: w.v ?? null,
    keepUntil: new Date(w.ku),
  }));
}

/** Canonical (lower-case) UUIDs only, as the database returns them; a user cut-off needs its version. */
function isWireEntry(value: unknown): value is WireEntry {
  const w = value as Partial<WireEntry> | null;
  return (
    typeof w === 'object' &&
    w !== null &&
    (w.k === 'session' || w.k === 'user') &&
    typeof w.id === 'string' &&
    UUID.test(w.id) &&
    Number.isFinite(w.nb) &&
    Number.isFinite(w.ku) &&
    (w.k === 'session' || (Number.isSafeInteger(w.v) && (w.v as number) >= 0))
  );
}
