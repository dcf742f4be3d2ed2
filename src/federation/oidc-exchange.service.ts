import { Injectable } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { Clock } from 'src/common/clock';
import type { RequestClient } from 'src/common/client-context.decorator';
import {
  DomainEvent,
  type LoginSucceededEvent,
} from 'src/events/domain-events';
import { type MfaChallenge, MfaLoginService } from 'src/mfa/mfa-login.service';
import type { TokenPair } from 'src/sessions/session';
import { SessionsService } from 'src/sessions/sessions.service';
import { UsersService } from 'src/users/users.service';
import { invalidExchangeCodeError } from './federation.errors';
import { FederationRepository } from './federation.repository';
import { sha256 } from './oidc-callback';

/**
 * The last step of a provider sign-in: the client trades the one-time code from its redirect_uri for the usual
 * token pair (amr fed), or for the mfa_required challenge when the account has a second factor and the provider's
 * word on it is not trusted (OIDC_<NAME>_TRUST_MFA).
 */
@Injectable()
export class OidcExchangeService {
  constructor(
    private readonly repository: FederationRepository,
    private readonly users: UsersService,
    private readonly sessions: SessionsService,
    private readonly mfa: MfaLoginService,
    private readonly events: EventEmitter2,
    private readonly clock: Clock,
  ) {}

  async exchange(
    code: string,
    client: RequestClient,
  ): Promise<TokenPair | MfaChallenge> {
    if (!/^[A-Za-z0-9_-]{43}$/.test(code)) throw invalidExchangeCodeError();
    const spent = await this.repository.spendCode(
      sha256(code),
      this.clock.now(),
    );
    if (!spent) throw invalidExchangeCodeError();
    const user = await this.users.findProfile(spent.userId);
    if (!user || user.disabled) throw invalidExchangeCodeError();
    if (user.mfaEnabled && !spent.mfaTrusted)
      return this.mfa.startChallenge(user.id, client, 'fed');
    const started = await this.sessions.createSession({ id: user.id }, client, {
      // A trusted provider's sign-in stands for both factors of an account that has a second one.
      amr: user.mfaEnabled ? ['fed', 'mfa'] : ['fed'],
      authTime: spent.createdAt,
    });
    if (!started) throw invalidExchangeCodeError();
    this.events.emit(DomainEvent.LoginSucceeded, {
      userId: user.id,
      sessionId: started.sessionId,
      client,
    } satisfies LoginSucceededEvent);
    return started.pair;
  }
}
