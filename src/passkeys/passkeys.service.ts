import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { EventEmitter2 } from '@nestjs/event-emitter';
import {
  generateAuthenticationOptions,
  verifyAuthenticationResponse,
  type AuthenticationResponseJSON,
  type PublicKeyCredentialRequestOptionsJSON,
} from '@simplewebauthn/server';
import type { RequestClient } from 'src/common/client-context.decorator';
import { Clock } from 'src/common/clock';
import { webauthnConfig } from 'src/config/webauthn.config';
import {
  DomainEvent,
  type LoginSucceededEvent,
} from 'src/events/domain-events';
import type { TokenPair } from 'src/sessions/session';
import { SessionsService } from 'src/sessions/sessions.service';
import { UsersService } from 'src/users/users.service';
import { counterAccepted } from './passkey-counter';
import { passkeyAuthenticationFailedError } from './passkeys.errors';
import {
  type CeremonyKind,
  PasskeysRepository,
  type StoredPasskey,
} from './passkeys.repository';
import {
  announcePasskey,
  type Ceremony,
  ensurePasskeysEnabled,
  startCeremony,
} from './passkey-ceremonies';

/**
 * The server side of the WebAuthn sign-in ceremonies (@simplewebauthn/server): signing in with a passkey (no
 * password), and a passkey as the second factor of a login (registration: PasskeyRegistrationService). Every challenge is held server-side under a ceremony
 * id and spent by the first verify attempt. The library answers `verified: false` for a bad signature instead of
 * throwing: that is checked before anything is recorded.
 */
@Injectable()
export class PasskeysService {
  private readonly logger = new Logger(PasskeysService.name);

  constructor(
    readonly repository: PasskeysRepository,
    private readonly users: UsersService,
    private readonly sessions: SessionsService,
    private readonly events: EventEmitter2,
    readonly clock: Clock,
    @Inject(webauthnConfig.KEY)
    readonly config: ConfigType<typeof webauthnConfig>,
  ) {}

  /**
   * Options for a sign-in: with a username, its passkeys are allowed (an unknown name gets options that no
   * credential can satisfy, so the answer does not tell whether it exists); without one, any discoverable passkey.
   */
  async loginOptions(
    username?: string,
  ): Promise<Ceremony<PublicKeyCredentialRequestOptionsJSON>> {
    ensurePasskeysEnabled(this.config);
    if (username === undefined)
      return this.requestOptions('authentication', null, undefined);
    const user = (await this.users.findCredentialsByLogin(username))?.user;
    if (user)
      return this.requestOptions(
        'authentication',
        user.id,
        await this.repository.listOf(user.id),
      );
    // An unknown name gets options of the same shape under a ceremony id that was never stored: any response is
    // refused as for an expired ceremony.
    const options = await generateAuthenticationOptions({
      rpID: this.config.rpId,
      userVerification: 'required',
      timeout: this.config.ceremonyTtlSeconds * 1000,
      allowCredentials: [],
    });
    return { ceremonyId: randomUUID(), options };
  }

  /** Signs in with a passkey: the usual token pair, amr hwk, user, mfa (a user-verified passkey is two factors). */
  async login(
    ceremonyId: string,
    response: AuthenticationResponseJSON,
    client: RequestClient,
  ): Promise<TokenPair> {
    ensurePasskeysEnabled(this.config);
    const now = this.clock.now();
    const passkey = await this.verifyAssertion(
      ceremonyId,
      'authentication',
      null,
      response,
      client,
    );
    const started = await this.sessions.createSession(
      { id: passkey.userId },
      client,
      {
        amr: ['hwk', 'user', 'mfa'],
        authTime: now,
      },
    );
    // Disabled or deleted: the same answer as any other failure.
    if (!started) throw passkeyAuthenticationFailedError();
    announcePasskey(
      this.events,
      DomainEvent.PasskeyUsed,
      passkey,
      client,
      'login',
    );
    this.events.emit(DomainEvent.LoginSucceeded, {
      userId: passkey.userId,
      sessionId: started.sessionId,
      client,
    } satisfies LoginSucceededEvent);
    return started.pair;
  }

  /** Whether the user can sign in with a passkey (any registered, whatever PASSKEYS says today). */
  async hasPasskeys(userId: string): Promise<boolean> {
    return (await this.repository.listOf(userId)).length > 0;
  }

  /** Options for the second factor of `userId`'s login challenge; undefined when the user has no passkey. */
  async secondFactorOptions(
    userId: string,
  ): Promise<Ceremony<PublicKeyCredentialRequestOptionsJSON> | undefined> {
    if (!this.config.enabled) return undefined;
    const allow = await this.repository.listOf(userId);
    if (allow.length === 0) return undefined;
    return this.requestOptions('second_factor', userId, allow);
  }

  /** True when the assertion is a valid, user-verified signature of one of `userId`'s passkeys for that ceremony. */
  async verifySecondFactor(
    userId: string,
    ceremonyId: string,
    response: AuthenticationResponseJSON,
    client: RequestClient,
  ): Promise<boolean> {
    if (!this.config.enabled) return false;
    try {
      const passkey = await this.verifyAssertion(
        ceremonyId,
        'second_factor',
        userId,
        response,
        client,
      );
      announcePasskey(
        this.events,
        DomainEvent.PasskeyUsed,
        passkey,
        client,
        'second_factor',
      );
      return true;
    } catch {
      return false;
    }
  }

  private async requestOptions(
    kind: CeremonyKind,
    userId: string | null,
    allow: StoredPasskey[] | undefined,
  ): Promise<Ceremony<PublicKeyCredentialRequestOptionsJSON>> {
    const options = await generateAuthenticationOptions({
      rpID: this.config.rpId,
      userVerification: 'required',
      timeout: this.config.ceremonyTtlSeconds * 1000,
      allowCredentials: allow?.map((p) => ({
        id: p.credentialId,
        transports: p.transports as never,
      })),
    });
    return {
      ceremonyId: await startCeremony(this, kind, userId, options.challenge),
      options,
    };
  }

  /**
   * The checks of every assertion, in order: the ceremony (spent here, whatever follows), the credential and whose
   * it is, the signature (`verified: false` is a refusal, checked before the counter), the counter rule, and the
   * conditional counter update that one of two racing requests loses.
   */
  private async verifyAssertion(
    ceremonyId: string,
    kind: CeremonyKind,
    expectedUserId: string | null,
    response: AuthenticationResponseJSON,
    client: RequestClient,
  ): Promise<StoredPasskey> {
    const now = this.clock.now();
    const ceremony = await this.repository.takeCeremony(ceremonyId, kind, now);
    if (!ceremony) throw passkeyAuthenticationFailedError();
    const passkey = await this.repository.findByCredentialId(response.id);
    if (!passkey) throw passkeyAuthenticationFailedError();
    const boundTo = ceremony.userId ?? expectedUserId;
    if (boundTo !== null && boundTo !== passkey.userId)
      throw passkeyAuthenticationFailedError();
    if (expectedUserId !== null && ceremony.userId !== expectedUserId)
      throw passkeyAuthenticationFailedError();
    const handle = response.response.userHandle;
    if (
      handle &&
      Buffer.from(handle, 'base64url').toString('utf8') !== passkey.userId
    )
      throw passkeyAuthenticationFailedError();
    const verification = await verifyAuthenticationResponse({
      response,
      expectedChallenge: ceremony.challenge,
      expectedOrigin: this.config.origins,
      expectedRPID: this.config.rpId,
      credential: {
        id: passkey.credentialId,
        publicKey: new Uint8Array(Buffer.from(passkey.publicKey, 'base64url')),
        // The library refuses a counter that does not rise by throwing, indistinguishable from other errors; 0 turns
        // its check off so the rule runs once, below, where a copy can be told apart and audited.
        counter: 0,
        transports: passkey.transports,
      },
      requireUserVerification: true,
    }).catch((error: Error) => {
      this.logger.warn(`passkey assertion refused: ${error.message}`);
      return undefined;
    });
    if (!verification?.verified) throw passkeyAuthenticationFailedError();
    const received = verification.authenticationInfo.newCounter;
    if (!counterAccepted(passkey.counter, received)) {
      announcePasskey(
        this.events,
        DomainEvent.PasskeyCloneSuspected,
        passkey,
        client,
      );
      throw passkeyAuthenticationFailedError();
    }
    if (
      !(await this.repository.recordUse(
        passkey.id,
        passkey.counter,
        received,
        now,
      ))
    )
      throw passkeyAuthenticationFailedError();
    return passkey;
  }
}
