import { Inject, Injectable, Logger } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { EventEmitter2 } from '@nestjs/event-emitter';
import {
  generateRegistrationOptions,
  verifyRegistrationResponse,
  type PublicKeyCredentialCreationOptionsJSON,
  type RegistrationResponseJSON,
} from '@simplewebauthn/server';
import type { Principal } from 'src/access/principal';
import type { RequestClient } from 'src/common/client-context.decorator';
import { Clock } from 'src/common/clock';
import { webauthnConfig } from 'src/config/webauthn.config';
import { DomainEvent, type PasskeyEvent } from 'src/events/domain-events';
import { userNotFoundError } from 'src/users/users.errors';
import { UsersService } from 'src/users/users.service';
import {
  announcePasskey,
  type Ceremony,
  ensurePasskeysEnabled,
  startCeremony,
} from './passkey-ceremonies';
import {
  passkeyAlreadyRegisteredError,
  passkeyNotFoundError,
  passkeyRegistrationFailedError,
} from './passkeys.errors';
import { PasskeysRepository, type StoredPasskey } from './passkeys.repository';

/** Registering passkeys and managing them: list, rename, delete (by the user, or by an admin). */
@Injectable()
export class PasskeyRegistrationService {
  private readonly logger = new Logger(PasskeyRegistrationService.name);

  constructor(
    readonly repository: PasskeysRepository,
    private readonly users: UsersService,
    private readonly events: EventEmitter2,
    readonly clock: Clock,
    @Inject(webauthnConfig.KEY)
    readonly config: ConfigType<typeof webauthnConfig>,
  ) {}

  async registrationOptions(
    principal: Principal,
  ): Promise<Ceremony<PublicKeyCredentialCreationOptionsJSON>> {
    ensurePasskeysEnabled(this.config);
    const user = await this.users.findProfile(principal.userId);
    if (!user) throw userNotFoundError();
    const existing = await this.repository.listOf(user.id);
    const options = await generateRegistrationOptions({
      rpName: this.config.rpName,
      rpID: this.config.rpId,
      userName: user.username,
      userID: Buffer.from(user.id, 'utf8'),
      attestationType: 'none',
      timeout: this.config.ceremonyTtlSeconds * 1000,
      excludeCredentials: existing.map((p) => ({
        id: p.credentialId,
        transports: p.transports as never,
      })),
      authenticatorSelection: {
        residentKey: 'preferred',
        userVerification: 'required',
      },
    });
    return {
      ceremonyId: await startCeremony(
        this,
        'registration',
        user.id,
        options.challenge,
      ),
      options,
    };
  }

  async register(
    principal: Principal,
    ceremonyId: string,
    response: RegistrationResponseJSON,
    name: string | undefined,
    client: RequestClient,
  ): Promise<StoredPasskey> {
    ensurePasskeysEnabled(this.config);
    const now = this.clock.now();
    const ceremony = await this.repository.takeCeremony(
      ceremonyId,
      'registration',
      now,
    );
    if (!ceremony || ceremony.userId !== principal.userId)
      throw passkeyRegistrationFailedError();
    const verification = await verifyRegistrationResponse({
      response,
      expectedChallenge: ceremony.challenge,
      expectedOrigin: this.config.origins,
      expectedRPID: this.config.rpId,
      requireUserVerification: true,
    }).catch((error: Error) => {
      this.logger.warn(`passkey registration refused: ${error.message}`);
      return undefined;
    });
    if (!verification?.verified) throw passkeyRegistrationFailedError();
    const info = verification.registrationInfo;
    const stored = await this.repository.insert({
      userId: principal.userId,
      credentialId: info.credential.id,
      publicKey: Buffer.from(info.credential.publicKey).toString('base64url'),
      counter: info.credential.counter,
      transports: response.response.transports ?? [],
      backedUp: info.credentialBackedUp,
      deviceType: info.credentialDeviceType,
      name: name?.trim() || defaultName(response),
      createdAt: now,
    });
    if (!stored) throw passkeyAlreadyRegisteredError();
    announcePasskey(this.events, DomainEvent.PasskeyRegistered, stored, client);
    return stored;
  }

  list(userId: string): Promise<StoredPasskey[]> {
    ensurePasskeysEnabled(this.config);
    return this.repository.listOf(userId);
  }

  async rename(
    userId: string,
    id: string,
    name: string,
    client: RequestClient,
  ): Promise<StoredPasskey> {
    ensurePasskeysEnabled(this.config);
    const renamed = await this.repository.rename(userId, id, name.trim());
    if (!renamed) throw passkeyNotFoundError();
    announcePasskey(this.events, DomainEvent.PasskeyRenamed, renamed, client);
    return renamed;
  }

  async delete(
    userId: string,
    id: string,
    client: RequestClient,
    actorId?: string,
  ): Promise<void> {
    ensurePasskeysEnabled(this.config);
    if (!(await this.repository.delete(userId, id)))
      throw passkeyNotFoundError();
    this.events.emit(DomainEvent.PasskeyDeleted, {
      userId,
      passkeyId: id,
      client,
      actorId,
    } satisfies PasskeyEvent);
  }
}

function defaultName(response: RegistrationResponseJSON): string {
  return response.authenticatorAttachment === 'cross-platform'
    ? 'Security key'
    : 'Passkey';
}
