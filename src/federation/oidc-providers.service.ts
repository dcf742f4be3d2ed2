import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import type { Configuration } from 'openid-client';
import { Clock } from 'src/common/clock';
import { withTimeout } from 'src/common/timers';
import { oidcConfig } from 'src/config/oidc.config';
import type { OidcProviderSettings } from 'src/config/oidc-env';
import { ReadinessIndicators } from 'src/health/readiness.indicators';
import {
  providerUnavailableError,
  unknownProviderError,
} from './federation.errors';
import { loadOpenIdClient, type OpenIdClient } from './openid-client.loader';

/** A provider slower than this to answer its discovery document is down until the next try. */
const DISCOVERY_TIMEOUT_SECONDS = 10;

export interface DiscoveredProvider {
  settings: OidcProviderSettings;
  config: Configuration;
  client: OpenIdClient;
}

interface ProviderState {
  settings: OidcProviderSettings;
  discovered?: DiscoveredProvider;
  /** Why the last discovery failed, for readiness (never the provider's answer). */
  failure?: string;
  lastAttemptAt: number;
  pending?: Promise<void>;
}

/**
 * The configured providers and their discovery documents (openid-client: discovery, then its own JWKS cache,
 * which fetches the provider's keys again when a token names a key it does not know). A provider that cannot be
 * discovered at start is down in /health/ready and its routes answer 503; it is tried again on use, at most every
 * 30 seconds, while the others work.
 */
@Injectable()
export class OidcProviders implements OnModuleInit {
  private readonly logger = new Logger(OidcProviders.name);
  private readonly states = new Map<string, ProviderState>();

  constructor(
    @Inject(oidcConfig.KEY)
    private readonly config: ConfigType<typeof oidcConfig>,
    private readonly clock: Clock,
    readiness: ReadinessIndicators,
  ) {
    for (const settings of config.providers)
      this.states.set(settings.name, { settings, lastAttemptAt: 0 });
    if (this.states.size > 0)
      readiness.register('oidc_providers', () => this.readiness());
  }

  async onModuleInit(): Promise<void> {
    await Promise.all([...this.states.values()].map((s) => this.discover(s)));
  }

  names(): string[] {
    return [...this.states.keys()];
  }

  /** The provider ready for a sign-in: 404 when not configured, 503 while its discovery keeps failing. */
  async get(name: string): Promise<DiscoveredProvider> {
    const state = this.states.get(name);
    if (!state) throw unknownProviderError();
    if (
      !state.discovered &&
      this.clock.now().getTime() - state.lastAttemptAt >=
        this.config.rediscoverySeconds * 1000
    )
      await this.discover(state);
    if (!state.discovered) throw providerUnavailableError(name);
    return state.discovered;
  }

  private discover(state: ProviderState): Promise<void> {
    state.pending ??= this.fetchMetadata(state).finally(() => {
      state.pending = undefined;
    });
    return state.pending;
  }

  private async fetchMetadata(state: ProviderState): Promise<void> {
    const { settings } = state;
    state.lastAttemptAt = this.clock.now().getTime();
    try {
      const client = await loadOpenIdClient();
      const insecure = settings.issuer.startsWith('http://');
      const options = {
        timeout: DISCOVERY_TIMEOUT_SECONDS,
        ...(insecure && { execute: [client.allowInsecureRequests] }),
      };
      const found = await withTimeout(
        client.discovery(
          new URL(settings.issuer),
          settings.clientId,
          undefined,
          client.ClientSecretBasic(settings.clientSecret),
          options,
        ),
        DISCOVERY_TIMEOUT_SECONDS * 1000 + 500,
      );
      const config = this.withSupportedAuth(client, found, settings);
      if (insecure) client.allowInsecureRequests(config);
      state.discovered = { settings, config, client };
      state.failure = undefined;
      this.logger.log({
        event: 'oidc_provider_discovered',
        provider: settings.name,
      });
    } catch (error) {
      state.failure = failureKind(error);
      this.logger.warn({
        event: 'oidc_provider_discovery_failed',
        provider: settings.name,
        reason: (error as Error).message,
      });
    }
  }

  /** client_secret_basic unless the provider lists only client_secret_post. */
  private withSupportedAuth(
    client: OpenIdClient,
    config: Configuration,
    settings: OidcProviderSettings,
  ): Configuration {
    const methods =
      config.serverMetadata().token_endpoint_auth_methods_supported;
    if (
      !methods ||
      methods.includes('client_secret_basic') ||
      !methods.includes('client_secret_post')
    )
      return config;
    return new client.Configuration(
      config.serverMetadata(),
      settings.clientId,
      undefined,
      client.ClientSecretPost(settings.clientSecret),
    );
  }

  private readiness(): { up: boolean; details: Record<string, unknown> } {
    const details: Record<string, unknown> = {};
    let up = true;
    for (const [name, state] of this.states) {
      details[name] = state.discovered ? 'up' : `down (${state.failure})`;
      if (!state.discovered) up = false;
    }
    return { up, details };
  }
}

/** What readiness says about a failed discovery: the kind of failure, never the provider's answer. */
function failureKind(error: unknown): string {
  const name = (error as Error)?.name;
  if (name === 'TimeoutError' || name === 'AbortError') return 'timeout';
  if (error instanceof TypeError && /fetch failed/i.test(error.message))
    return 'unreachable';
  if (name === 'ResponseBodyError' || name === 'OperationProcessingError')
    return 'invalid discovery document';
  return 'discovery failed';
}
