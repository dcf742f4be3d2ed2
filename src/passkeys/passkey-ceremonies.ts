import type { ConfigType } from '@nestjs/config';
import type { EventEmitter2 } from '@nestjs/event-emitter';
import type { RequestClient } from 'src/common/client-context.decorator';
import type { Clock } from 'src/common/clock';
import type { webauthnConfig } from 'src/config/webauthn.config';
import type { PasskeyEvent } from 'src/events/domain-events';
import { passkeysOffError } from './passkeys.errors';
import type {
  CeremonyKind,
  PasskeysRepository,
  StoredPasskey,
} from './passkeys.repository';

/** The pieces registration and sign-in share: the feature switch, ceremonies, and what they announce. */

export interface Ceremony<T> {
  ceremonyId: string;
  options: T;
}

export function ensurePasskeysEnabled(
  config: ConfigType<typeof webauthnConfig>,
): void {
  if (!config.enabled) throw passkeysOffError();
}

/** Holds a challenge server-side for ceremonyTtlSeconds; returns the ceremony id the client sends back. */
export function startCeremony(
  deps: {
    repository: PasskeysRepository;
    clock: Clock;
    config: ConfigType<typeof webauthnConfig>;
  },
  kind: CeremonyKind,
  userId: string | null,
  challenge: string,
): Promise<string> {
  const now = deps.clock.now();
  return deps.repository.createCeremony({
    kind,
    userId,
    challenge,
    createdAt: now,
    expiresAt: new Date(now.getTime() + deps.config.ceremonyTtlSeconds * 1000),
  });
}

export function announcePasskey(
  events: EventEmitter2,
  event: string,
  passkey: StoredPasskey,
  client: RequestClient,
  purpose?: PasskeyEvent['purpose'],
): void {
  events.emit(event, {
    userId: passkey.userId,
    passkeyId: passkey.id,
    client,
    purpose,
  } satisfies PasskeyEvent);
}
