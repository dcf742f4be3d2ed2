import { randomBytes } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { Clock } from 'src/common/clock';
import type { RequestClient } from 'src/common/client-context.decorator';
import { oidcConfig } from 'src/config/oidc.config';
import { redirectUrl } from 'src/config/oidc-env';
import { DomainEvent, type FederationEvent } from 'src/events/domain-events';
import { noFlowError, redirectNotAllowedError } from './federation.errors';
import { FederationRepository, type OidcFlow } from './federation.repository';
import {
  FederatedIdentitiesService,
  type ProviderClaims,
} from './federated-identities.service';
import { verifyIdTokenSignature } from './id-token-signature';
import {
  bindingMatches,
  exchangeReturnError,
  parseBinding,
  providerReturnError,
  returnUrl,
  type ReturnError,
  sha256,
} from './oidc-callback';
import {
  OidcProviders,
  type DiscoveredProvider,
} from './oidc-providers.service';

/** What starting a sign-in gives the controller: where to send the browser, and the cookie that binds it. */
export interface StartedFlow {
  authorizationUrl: string;
  /** `<flow id>.<secret>`, for the HttpOnly cookie; the flow stores only the secret's SHA-256. */
  binding: string;
  maxAgeSeconds: number;
}

const random = (): string => randomBytes(32).toString('base64url');

/**
 * The authorization code flow with PKCE (S256), state and nonce, against any configured provider (openid-client
 * does the protocol and every check of the answer). State, nonce and the code verifier stay on the server, in a
 * flow bound to the browser by a cookie; the callback spends the flow before it checks anything and sends the
 * browser back to the client's allow-listed redirect_uri with a one-time code, or with an `error`. Tokens never
 * travel in a URL.
 */
@Injectable()
export class OidcSignInService {
  private readonly logger = new Logger(OidcSignInService.name);

  constructor(
    private readonly providers: OidcProviders,
    private readonly repository: FederationRepository,
    private readonly identities: FederatedIdentitiesService,
    private readonly events: EventEmitter2,
    private readonly clock: Clock,
    @Inject(oidcConfig.KEY)
    private readonly config: ConfigType<typeof oidcConfig>,
  ) {}

  /** A sign-in (or, with `linkUserId`, the signed-in user linking this provider) toward `redirectUri`. */
  async start(
    name: string,
    redirectUri: string,
    clientState: string | undefined,
    linkUserId?: string,
  ): Promise<StartedFlow> {
    const target = redirectUrl(redirectUri);
    if (!target || !this.config.allowedRedirects.includes(target))
      throw redirectNotAllowedError();
    const provider = await this.providers.get(name);
    const { client, config, settings } = provider;
    const state = client.randomState();
    const nonce = client.randomNonce();
    const codeVerifier = client.randomPKCECodeVerifier();
    const secret = random();
    const now = this.clock.now();
    const flowId = await this.repository.createFlow({
      provider: name,
      bindingHash: sha256(secret),
      state,
      nonce,
      codeVerifier,
      redirectUri: target,
      clientState: clientState ?? null,
      linkUserId: linkUserId ?? null,
      createdAt: now,
      expiresAt: new Date(now.getTime() + this.config.flowTtlSeconds * 1000),
    });
    const authorizationUrl = client.buildAuthorizationUrl(config, {
      redirect_uri: this.callbackUrl(name),
      scope: settings.scopes.join(' '),
      state,
      nonce,
      code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
    });
    return {
      authorizationUrl: authorizationUrl.href,
      binding: `${flowId}.${secret}`,
      maxAgeSeconds: this.config.flowTtlSeconds,
    };
  }

  /**
   * The provider sent the browser back. Throws (a problem document) only when no flow of this browser can be
   * found, since its redirect_uri is then unknown; every other outcome is the URL to send the browser to.
   */
  async callback(
    name: string,
    query: Record<string, string | undefined>,
    cookie: string | undefined,
    client: RequestClient,
  ): Promise<string> {
    const binding = parseBinding(cookie);
    const flow = binding
      ? await this.repository.takeFlow(binding.flowId, this.clock.now())
      : undefined;
    if (!binding || !flow) throw noFlowError();
    const fail = (error: ReturnError, userId?: string): string => {
      this.events.emit(DomainEvent.FederatedSignInFailed, {
        provider: name,
        client,
        error,
        userId,
      } satisfies FederationEvent);
      return returnUrl(flow.redirectUri, { error, state: flow.clientState });
    };
    if (
      !bindingMatches(binding.secret, flow.bindingHash) ||
      flow.provider !== name
    )
      return fail('invalid_request');
    if (query.error) return fail(providerReturnError(query.error));
    if (query.state !== flow.state) return fail('invalid_state');
    let provider: DiscoveredProvider;
    try {
      provider = await this.providers.get(name);
    } catch {
      return fail('temporarily_unavailable');
    }
    const claims = await this.checkedClaims(provider, flow, query).catch(
      (error: unknown) => {
        this.logger.warn({
          event: 'oidc_callback_refused',
          provider: name,
          reason: (error as Error).message,
        });
        return exchangeReturnError(error);
      },
    );
    if (typeof claims === 'string') return fail(claims);
    if (flow.linkUserId) {
      const refused = await this.identities.link(
        flow.linkUserId,
        claims,
        client,
      );
      if (refused) return fail(refused, flow.linkUserId);
      return returnUrl(flow.redirectUri, {
        linked: name,
        state: flow.clientState,
      });
    }
    const outcome = await this.identities.resolveSignIn(
      claims,
      this.config.registrationOpen,
      client,
    );
    if ('error' in outcome) return fail(outcome.error);
    const code = random();
    const now = this.clock.now();
    await this.repository.createCode({
      codeHash: sha256(code),
      userId: outcome.user.id,
      provider: name,
      mfaTrusted: provider.settings.trustMfa,
      createdAt: now,
      expiresAt: new Date(now.getTime() + this.config.codeTtlSeconds * 1000),
    });
    return returnUrl(flow.redirectUri, { code, state: flow.clientState });
  }

  /** The code grant with every check: state, PKCE, and the ID token's signature, issuer, audience, expiry, nonce. */
  private async checkedClaims(
    { client, config, settings }: DiscoveredProvider,
    flow: OidcFlow,
    query: Record<string, string | undefined>,
  ): Promise<ProviderClaims> {
    const current = new URL(this.callbackUrl(settings.name));
    for (const [key, value] of Object.entries(query))
      if (value !== undefined) current.searchParams.set(key, value);
    const tokens = await client.authorizationCodeGrant(config, current, {
      pkceCodeVerifier: flow.codeVerifier,
      expectedState: flow.state,
      expectedNonce: flow.nonce,
      idTokenExpected: true,
    });
    const idToken = tokens.claims();
    const jwksUri = config.serverMetadata().jwks_uri;
    if (!idToken || !tokens.id_token || !jwksUri)
      throw new Error('no ID token, or no keys to check it with');
    await verifyIdTokenSignature(tokens.id_token, jwksUri, {
      issuer: config.serverMetadata().issuer,
      audience: settings.clientId,
    });
    const email = typeof idToken.email === 'string' ? idToken.email : null;
    return {
      provider: settings.name,
      issuer: idToken.iss,
      subject: idToken.sub,
      email,
      verifiedEmail: email && idToken.email_verified === true ? email : null,
      raw: {
        preferred_username: idToken.preferred_username,
        email: idToken.email,
        name: idToken.name,
      },
    };
  }

  private callbackUrl(name: string): string {
    return `${this.config.publicUrl}/auth/oidc/${name}/callback`;
  }
}
