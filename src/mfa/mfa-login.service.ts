import { createHash, randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { EventEmitter2, OnEvent } from '@nestjs/event-emitter';
import type { RequestClient } from 'src/common/client-context.decorator';
import { Clock } from 'src/common/clock';
import { DomainValidationError } from 'src/common/domain-error';
import { mfaConfig } from 'src/config/mfa.config';
import {
  DomainEvent,
  type LoginSucceededEvent,
  type MfaFailedEvent,
  type MfaVerifiedEvent,
  type PasswordChangedEvent,
  type PasswordResetEvent,
  type SecondFactorMethod,
} from 'src/events/domain-events';
import { LoginAttemptsService } from 'src/lockout/login-attempts.service';
import type { TokenPair } from 'src/sessions/session';
import { SessionsService } from 'src/sessions/sessions.service';
import type { AuthenticationResponseJSON } from '@simplewebauthn/server';
import { PasskeysService } from 'src/passkeys/passkeys.service';
import { invalidChallengeError, invalidSecondFactorError } from './mfa.errors';
import { MfaRepository } from './mfa.repository';
import { hashRecoveryCode, normalizeRecoveryCode } from './recovery-codes';
import { isWellFormedCode, matchingStep } from './totp';
import { TotpSecretBox } from './totp-secret-box';

/** What a login gets instead of tokens when the account has a second factor. */
export interface MfaChallenge {
  mfa_required: true;
  mfa_token: string;
  methods: SecondFactorMethod[];
  expires_in: number;
  /** When the user has a passkey: request options for it, under their own ceremony id. */
  passkey?: { ceremony_id: string; options: Record<string, unknown> };
}

/** A code from the app, one of the recovery codes, or a passkey assertion: exactly one. */
export interface SecondFactor {
  code?: string;
  recoveryCode?: string;
  passkey?: { ceremonyId: string; response: AuthenticationResponseJSON };
}

export interface SecondFactorResult {
  method: SecondFactorMethod;
  /** RFC 8176 methods the session's sign-in used. */
  amr: string[];
  remaining?: number;
}

/**
 * The second half of a sign-in: login challenges, and checking a second factor at re-authentication. Every wrong
 * code counts toward the account's lockout (the keys and the 429 of a failed login); a time step once accepted
 * is refused for that user; a recovery code works once.
 */
@Injectable()
export class MfaLoginService {
  constructor(
    private readonly repository: MfaRepository,
    private readonly box: TotpSecretBox,
    private readonly sessions: SessionsService,
    private readonly passkeys: PasskeysService,
    private readonly loginAttempts: LoginAttemptsService,
    private readonly events: EventEmitter2,
    private readonly clock: Clock,
    @Inject(mfaConfig.KEY)
    private readonly config: ConfigType<typeof mfaConfig>,
  ) {}

  /**
   * Opened after the right password (or a sign-in at an external provider: `firstFactor` fed): a token for
   * POST /auth/mfa/verify, bound to the user and the login's client.
   */
  async startChallenge(
    userId: string,
    client: RequestClient,
    firstFactor: 'pwd' | 'fed' = 'pwd',
  ): Promise<MfaChallenge> {
    const token = randomBytes(32).toString('base64url');
    const now = this.clock.now();
    await this.repository.createChallenge({
      userId,
      tokenHash: hashToken(token),
      ip: client.ip ?? null,
      userAgent: client.userAgent?.slice(0, 512) ?? null,
      firstFactor,
      createdAt: now,
      expiresAt: new Date(
        now.getTime() + this.config.challengeTtlSeconds * 1000,
      ),
    });
    const passkey = await this.passkeys.secondFactorOptions(userId);
    return {
      mfa_required: true,
      mfa_token: token,
      methods: passkey
        ? ['totp', 'passkey', 'recovery_code']
        : ['totp', 'recovery_code'],
      expires_in: this.config.challengeTtlSeconds,
      ...(passkey && {
        passkey: {
          ceremony_id: passkey.ceremonyId,
          options: { ...passkey.options },
        },
      }),
    };
  }

  /**
   * Completes a login challenge. An attempt of the challenge is taken before the code is checked (at most
   * MFA_MAX_CODE_ATTEMPTS ever are; the last wrong one destroys it), and a lockout attempt of the account is
   * reserved like a login's. The session is started with the login's client context.
   */
  async verifyChallenge(
    mfaToken: string,
    factor: SecondFactor,
    client: RequestClient,
  ): Promise<TokenPair & { recovery_codes_remaining?: number }> {
    checkFactorShape(factor);
    const now = this.clock.now();
    const challenge = /^[A-Za-z0-9_-]{43}$/.test(mfaToken)
      ? await this.repository.findLiveChallenge(
          hashToken(mfaToken),
          now,
          this.config.maxCodeAttempts,
        )
      : undefined;
    if (!challenge) throw invalidChallengeError();
    const attempt = await this.loginAttempts.begin({
      accountId: challenge.userId,
    });
    const used = await this.repository.reserveAttempt(
      challenge.id,
      now,
      this.config.maxCodeAttempts,
    );
    if (used === undefined) {
      await attempt.abandoned();
      throw invalidChallengeError();
    }
    const result = await this.check(challenge.userId, factor, client).catch(
      async (error: unknown) => {
        await attempt.abandoned();
        throw error;
      },
    );
    if (!result) {
      await attempt.failed();
      if (used >= this.config.maxCodeAttempts)
        await this.repository.deleteChallenge(challenge.id);
      this.failed(challenge.userId, factor, 'login', client);
      throw invalidSecondFactorError();
    }
    if (!(await this.repository.completeChallenge(challenge.id, now))) {
      await attempt.abandoned();
      throw invalidChallengeError();
    }
    await attempt.succeeded();
    const context = {
      ip: challenge.ip ?? undefined,
      userAgent: challenge.userAgent ?? undefined,
    };
    const started = await this.sessions.createSession(
      { id: challenge.userId },
      context,
      {
        amr: withFirstFactor(result.amr, challenge.firstFactor),
        authTime: now,
      },
    );
    // Disabled or deleted while the code was checked.
    if (!started) throw invalidChallengeError();
    this.events.emit(DomainEvent.MfaVerified, {
      userId: challenge.userId,
      client,
      method: result.method,
      purpose: 'login',
      remaining: result.remaining,
    } satisfies MfaVerifiedEvent);
    this.events.emit(DomainEvent.LoginSucceeded, {
      userId: challenge.userId,
      sessionId: started.sessionId,
      client: context,
    } satisfies LoginSucceededEvent);
    return {
      ...started.pair,
      ...(result.remaining !== undefined && {
        recovery_codes_remaining: result.remaining,
      }),
    };
  }

  /**
   * The second factor at re-authentication, after the password was checked. Counted toward the lockout like a
   * login's code. Resolves to the methods to record, or throws.
   */
  async checkSecondFactor(
    userId: string,
    factor: SecondFactor,
    client: RequestClient,
  ): Promise<SecondFactorResult> {
    checkFactorShape(factor);
    const attempt = await this.loginAttempts.begin({ accountId: userId });
    const result = await this.check(userId, factor, client).catch(
      async (error: unknown) => {
        await attempt.abandoned();
        throw error;
      },
    );
    if (!result) {
      await attempt.failed();
      this.failed(userId, factor, 'reauthentication', client);
      throw invalidSecondFactorError();
    }
    await attempt.succeeded();
    this.events.emit(DomainEvent.MfaVerified, {
      userId,
      client,
      method: result.method,
      purpose: 'reauthentication',
      remaining: result.remaining,
    } satisfies MfaVerifiedEvent);
    return result;
  }

  /** Challenges opened with the old password die with it. */
  @OnEvent(DomainEvent.PasswordChanged, { suppressErrors: false })
  @OnEvent(DomainEvent.PasswordReset, { suppressErrors: false })
  async passwordReplaced(
    event: PasswordChangedEvent | PasswordResetEvent,
  ): Promise<void> {
    await this.repository.deleteChallengesOf(event.userId);
  }

  private async check(
    userId: string,
    factor: SecondFactor,
    client: RequestClient,
  ): Promise<SecondFactorResult | undefined> {
    if (factor.passkey !== undefined) {
      const verified = await this.passkeys.verifySecondFactor(
        userId,
        factor.passkey.ceremonyId,
        factor.passkey.response,
        client,
      );
      return verified
        ? { method: 'passkey', amr: ['pwd', 'hwk', 'mfa'] }
        : undefined;
    }
    if (factor.recoveryCode !== undefined) {
      const normalized = normalizeRecoveryCode(factor.recoveryCode);
      if (!normalized) return undefined;
      const remaining = await this.repository.useRecoveryCode(
        userId,
        hashRecoveryCode(normalized),
        this.clock.now(),
      );
      return remaining === undefined
        ? undefined
        : { method: 'recovery_code', amr: ['pwd', 'mfa'], remaining };
    }
    const state = await this.repository.findTotp(userId);
    if (!state?.enabled || !state.secret) return undefined;
    const step = matchingStep(
      this.box.open(state.secret, userId),
      factor.code!,
      this.clock.now().getTime(),
    );
    if (step === null || !(await this.repository.useStep(userId, step)))
      return undefined;
    return { method: 'totp', amr: ['pwd', 'otp', 'mfa'] };
  }

  private failed(
    userId: string,
    factor: SecondFactor,
    purpose: MfaFailedEvent['purpose'],
    client: RequestClient,
  ): void {
    this.events.emit(DomainEvent.MfaFailed, {
      userId,
      client,
      method:
        factor.passkey !== undefined
          ? 'passkey'
          : factor.recoveryCode !== undefined
            ? 'recovery_code'
            : 'totp',
      purpose,
    } satisfies MfaFailedEvent);
  }
}

function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/**
 * Exactly one of code and recovery_code; a code of six ASCII digits (checked before otpauth sees it). A malformed
 * code is a 400 and costs no attempt.
 */
function checkFactorShape(factor: SecondFactor): void {
  const given = [factor.code, factor.recoveryCode, factor.passkey].filter(
    (v) => v !== undefined,
  );
  if (given.length !== 1)
    throw new DomainValidationError(
      'code',
      'send exactly one of code, recovery_code and passkey',
    );
  if (factor.code !== undefined && !isWellFormedCode(factor.code))
    throw new DomainValidationError('code', 'code must be 6 digits (0-9)');
}

/** The methods of a second-factor check name the password as the first; a login that began elsewhere says so. */
export function withFirstFactor(amr: string[], first: 'pwd' | 'fed'): string[] {
  return amr.map((method) => (method === 'pwd' ? first : method));
}
