import { randomInt } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { Clock } from 'src/common/clock';
import type { RequestClient } from 'src/common/client-context.decorator';
import {
  DomainEvent,
  type FederationEvent,
  type UserCreatedEvent,
} from 'src/events/domain-events';
import { PasskeysService } from 'src/passkeys/passkeys.service';
import type { User } from 'src/users/user';
import { UserAlreadyExistsError } from 'src/users/users.errors';
import { UsersService } from 'src/users/users.service';
import {
  identityNotFoundError,
  lastSignInMethodError,
} from './federation.errors';
import {
  FederationRepository,
  type FederatedIdentity,
} from './federation.repository';
import { derivedUsername, type ReturnError } from './oidc-callback';

/** What a provider said about the user, after openid-client checked its ID token. */
export interface ProviderClaims {
  provider: string;
  issuer: string;
  subject: string;
  /** Only an address the provider marked email_verified: true; null otherwise. */
  verifiedEmail: string | null;
  /** The address as given, verified or not (shown in the identity list only). */
  email: string | null;
  raw: { preferred_username?: unknown; email?: unknown; name?: unknown };
}

const USERNAME_ATTEMPTS = 5;

/**
 * Which account a provider identity is: found by (issuer, subject), or a new account on a first sign-in. An
 * existing account is never taken over by email alone: it is linked only by its signed-in owner (after step-up),
 * and only to an identity whose provider verified its address.
 */
@Injectable()
export class FederatedIdentitiesService {
  private readonly logger = new Logger(FederatedIdentitiesService.name);

  constructor(
    private readonly repository: FederationRepository,
    private readonly users: UsersService,
    private readonly passkeys: PasskeysService,
    private readonly events: EventEmitter2,
    private readonly clock: Clock,
  ) {}

  /** The account a sign-in ends in, or the error the client is sent back with. */
  async resolveSignIn(
    claims: ProviderClaims,
    registrationOpen: boolean,
    client: RequestClient,
  ): Promise<{ user: User; identityId: string } | { error: ReturnError }> {
    const now = this.clock.now();
    const known = await this.repository.findIdentity(
      claims.issuer,
      claims.subject,
    );
    if (known) {
      const user = await this.users.findProfile(known.userId);
      if (!user || user.disabled) return { error: 'access_denied' };
      await this.repository.recordUse(known.id, claims.email, now);
      this.announce(DomainEvent.FederatedSignIn, claims, client, {
        userId: user.id,
        identityId: known.id,
        created: false,
      });
      return { user, identityId: known.id };
    }
    if (!registrationOpen) return { error: 'registration_closed' };
    // A verified address that an account holds already: its owner links the provider from that account.
    if (
      claims.verifiedEmail &&
      (await this.users.findByEmail(claims.verifiedEmail))
    )
      return { error: 'account_exists' };
    const user = await this.createUser(claims);
    if (!user) return { error: 'account_exists' };
    const identity = await this.repository.insertIdentity({
      userId: user.id,
      provider: claims.provider,
      issuer: claims.issuer,
      subject: claims.subject,
      email: claims.email,
      createdAt: now,
    });
    if (!identity) {
      // Another callback for the same identity made its account first: that one stands, this one goes.
      await this.users.removeUnused(user.id);
      return this.resolveSignIn(claims, registrationOpen, client);
    }
    this.events.emit(DomainEvent.UserCreated, {
      userId: user.id,
    } satisfies UserCreatedEvent);
    this.announce(DomainEvent.FederatedSignIn, claims, client, {
      userId: user.id,
      identityId: identity.id,
      created: true,
    });
    return { user, identityId: identity.id };
  }

  /** Links the identity to the signed-in `userId` (the link flow, started after step-up). */
  async link(
    userId: string,
    claims: ProviderClaims,
    client: RequestClient,
  ): Promise<ReturnError | undefined> {
    const known = await this.repository.findIdentity(
      claims.issuer,
      claims.subject,
    );
    if (known) return known.userId === userId ? undefined : 'identity_in_use';
    if (!claims.verifiedEmail) return 'email_not_verified';
    const identity = await this.repository.insertIdentity({
      userId,
      provider: claims.provider,
      issuer: claims.issuer,
      subject: claims.subject,
      email: claims.email,
      createdAt: this.clock.now(),
    });
    if (!identity) return 'identity_in_use';
    this.announce(DomainEvent.IdentityLinked, claims, client, {
      userId,
      identityId: identity.id,
    });
    return undefined;
  }

  list(userId: string): Promise<FederatedIdentity[]> {
    return this.repository.listOf(userId);
  }

  /** Refused (409) when it is the account's last way to sign in: no password, no passkey, no other identity. */
  async unlink(
    userId: string,
    id: string,
    client: RequestClient,
  ): Promise<void> {
    const identity = (await this.repository.listOf(userId)).find(
      (i) => i.id === id,
    );
    if (!identity) throw identityNotFoundError();
    const credentials = await this.users.findCredentialsById(userId);
    const keepsAnother =
      Boolean(credentials?.passwordHash) ||
      (await this.passkeys.hasPasskeys(userId));
    const outcome = await this.repository.deleteIdentity(
      userId,
      id,
      keepsAnother,
    );
    if (outcome === 'not_found') throw identityNotFoundError();
    if (outcome === 'last') throw lastSignInMethodError();
    this.events.emit(DomainEvent.IdentityUnlinked, {
      userId,
      provider: identity.provider,
      identityId: id,
      client,
    } satisfies FederationEvent);
  }

  private async createUser(claims: ProviderClaims): Promise<User | undefined> {
    const suffix = () => String(randomInt(100_000, 1_000_000));
    for (let attempt = 0; attempt < USERNAME_ATTEMPTS; attempt++) {
      try {
        return await this.users.create({
          username: derivedUsername(claims.raw, attempt, suffix()),
          email: claims.verifiedEmail,
          emailVerifiedAt: claims.verifiedEmail ? this.clock.now() : null,
          passwordHash: null,
        });
      } catch (error) {
        if (!(error instanceof UserAlreadyExistsError)) throw error;
      }
    }
    // Every name taken, or the address was registered meanwhile.
    this.logger.warn({
      event: 'federated_user_not_created',
      provider: claims.provider,
    });
    return undefined;
  }

  private announce(
    event: string,
    claims: ProviderClaims,
    client: RequestClient,
    fields: Omit<FederationEvent, 'provider' | 'client'>,
  ): void {
    this.events.emit(event, {
      provider: claims.provider,
      client,
      ...fields,
    } satisfies FederationEvent);
  }
}
