import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { oauthConfig } from 'src/config/oauth.config';
import { tokensConfig } from 'src/config/tokens.config';
import type { AuthorizationServerMetadataDto } from 'src/keys/dto/authorization-server-metadata.dto';

@Injectable()
export class DiscoveryService {
  constructor(
    @Inject(oauthConfig.KEY)
    private readonly config: ConfigType<typeof oauthConfig>,
    @Inject(tokensConfig.KEY)
    private readonly tokens: ConfigType<typeof tokensConfig>,
  ) {}

  /** Absolute URLs from PUBLIC_URL, so the document is right behind a proxy or on another host name. */
  metadata(): AuthorizationServerMetadataDto {
    const url = (path: string): string => `${this.config.publicUrl}${path}`;
    return {
      issuer: this.tokens.issuer,
      jwks_uri: url('/.well-known/jwks.json'),
      token_endpoint: url('/auth/login'),
      revocation_endpoint: url('/auth/revoke'),
      introspection_endpoint: url('/auth/introspect'),
      grant_types_supported: ['password', 'refresh_token'],
      token_endpoint_auth_methods_supported: ['none'],
      revocation_endpoint_auth_methods_supported: ['none'],
      ...(this.config.introspectionSecret
        ? {
            introspection_endpoint_auth_methods_supported: [
              'client_secret_basic',
            ],
          }
        : {}),
    };
  }
}
