import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { EventEmitter2 } from '@nestjs/event-emitter';
import QRCode from 'qrcode';
import type { Principal } from 'src/access/principal';
import type { RequestClient } from 'src/common/client-context.decorator';
import { Clock } from 'src/common/clock';
import { mfaConfig } from 'src/config/mfa.config';
import {
  DomainEvent,
  type MfaDisabledEvent,
  type MfaEvent,
} from 'src/events/domain-events';
import { RevocationService } from 'src/revocation/revocation.service';
import { SessionsService } from 'src/sessions/sessions.service';
import { userNotFoundError } from 'src/users/users.errors';
import { UsersService } from 'src/users/users.service';
import {
  codeMismatchError,
  mfaAlreadyEnabledError,
  mfaNotEnabledError,
  noPendingSetupError,
} from './mfa.errors';
import { MfaRepository } from './mfa.repository';
import {
  generateRecoveryCodes,
  hashRecoveryCode,
  normalizeRecoveryCode,
} from './recovery-codes';
import { base32Of, matchingStep, newTotpSecret, totpUri } from './totp';
import { TotpSecretBox } from './totp-secret-box';

export interface TotpSetup {
  secret: string;
  otpauthUri: string;
  qrPng: string;
  qrSvg: string;
}

export interface TotpEnabled {
  recoveryCodes: string[];
  /** A fresh access token for the current session (amr otp, mfa); absent when the session ended meanwhile. */
  access?: { access_token: string; token_type: 'Bearer'; expires_in: number };
}

/**
 * Turning a second factor on and off. Enrolment is two steps: setup stores a new secret as pending, confirm turns
 * it on once a code from the app matches it. Turning it on voids every access token of the user and ends their
 * other sessions; the current session is upgraded (amr otp, mfa) and gets a fresh access token, so from then on
 * every live token of the user says `mfa`.
 */
@Injectable()
export class MfaEnrolmentService {
  constructor(
    private readonly repository: MfaRepository,
    private readonly box: TotpSecretBox,
    private readonly users: UsersService,
    private readonly sessions: SessionsService,
    private readonly revocations: RevocationService,
    private readonly events: EventEmitter2,
    private readonly clock: Clock,
    @Inject(mfaConfig.KEY)
    private readonly config: ConfigType<typeof mfaConfig>,
  ) {}

  async setupTotp(
    principal: Principal,
    client: RequestClient,
  ): Promise<TotpSetup> {
    const user = await this.users.findProfile(principal.userId);
    if (!user) throw userNotFoundError();
    if (user.mfaEnabled) throw mfaAlreadyEnabledError();
    const secret = newTotpSecret();
    const sealed = this.box.seal(secret, user.id);
    if (!(await this.repository.setPending(user.id, sealed, this.clock.now())))
      throw mfaAlreadyEnabledError();
    const otpauthUri = totpUri(secret, this.config.issuer, user.username);
    const [qrPng, qrSvg] = await Promise.all([
      QRCode.toDataURL(otpauthUri, { errorCorrectionLevel: 'M', margin: 2 }),
      QRCode.toString(otpauthUri, {
        type: 'svg',
        errorCorrectionLevel: 'M',
        margin: 2,
      }),
    ]);
    this.announce(DomainEvent.MfaEnrolmentStarted, user.id, client);
    return { secret: base32Of(secret), otpauthUri, qrPng, qrSvg };
  }

  async confirmTotp(
    principal: Principal,
    code: string,
    client: RequestClient,
  ): Promise<TotpEnabled> {
    const state = await this.repository.findTotp(principal.userId);
    if (!state) throw userNotFoundError();
    if (state.enabled) throw mfaAlreadyEnabledError();
    if (!state.pending) throw noPendingSetupError();
    const now = this.clock.now();
    const step = matchingStep(
      this.box.open(state.pending, principal.userId),
      code,
      now.getTime(),
    );
    if (step === null) throw codeMismatchError();
    const recoveryCodes = generateRecoveryCodes();
    const tokenVersion = await this.repository.enable({
      userId: principal.userId,
      sealed: state.pending,
      step,
      codeHashes: recoveryCodes.map((c) =>
        hashRecoveryCode(normalizeRecoveryCode(c)!),
      ),
      now,
    });
    if (tokenVersion === undefined) throw noPendingSetupError();
    this.users.profileChanged(principal.userId);
    await this.revocations.revokeUserTokens(principal.userId, tokenVersion);
    await this.sessions.revokeAllSessions(
      principal.userId,
      'mfa_enabled',
      principal.sessionId,
    );
    const access = await this.sessions.reissueAccessToken(
      principal.userId,
      principal.sessionId,
      { amr: ['pwd', 'otp', 'mfa'], authTime: now },
    );
    this.announce(DomainEvent.MfaEnabled, principal.userId, client);
    // The second factor is on even if this session ended meanwhile; the client then signs in again.
    return {
      recoveryCodes,
      access: access ?? {
        access_token: '',
        token_type: 'Bearer',
        expires_in: 0,
      },
    };
  }

  async regenerateRecoveryCodes(
    principal: Principal,
    client: RequestClient,
  ): Promise<string[]> {
    const codes = generateRecoveryCodes();
    const replaced = await this.repository.replaceRecoveryCodes(
      principal.userId,
      codes.map((c) => hashRecoveryCode(normalizeRecoveryCode(c)!)),
      this.clock.now(),
    );
    if (!replaced) throw mfaNotEnabledError();
    this.announce(
      DomainEvent.RecoveryCodesRegenerated,
      principal.userId,
      client,
    );
    return codes;
  }

  async disableTotp(
    principal: Principal,
    client: RequestClient,
  ): Promise<void> {
    const wasOn = await this.repository.disable(
      principal.userId,
      this.clock.now(),
    );
    if (wasOn === undefined) throw userNotFoundError();
    if (!wasOn) throw mfaNotEnabledError();
    this.users.profileChanged(principal.userId);
    this.events.emit(DomainEvent.MfaDisabled, {
      userId: principal.userId,
      client,
    } satisfies MfaDisabledEvent);
  }

  /** An admin resets a user's second factor (a lost phone): idempotent, audited every time. */
  async resetFor(
    actorId: string,
    userId: string,
    client: RequestClient,
  ): Promise<boolean> {
    const wasOn = await this.repository.disable(userId, this.clock.now());
    if (wasOn === undefined) return false;
    this.users.profileChanged(userId);
    this.events.emit(DomainEvent.MfaDisabled, {
      userId,
      actorId,
      client,
    } satisfies MfaDisabledEvent);
    return true;
  }

  private announce(event: string, userId: string, client: RequestClient): void {
    this.events.emit(event, { userId, client } satisfies MfaEvent);
  }
}
