import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/** RFC 8414 authorization server metadata, the subset Gatehouse implements. */
export class AuthorizationServerMetadataDto {
  @ApiProperty({
    example: 'https://auth.example.com',
    description: 'JWT_ISSUER: the `iss` of every token',
  })
  issuer: string;

  @ApiProperty({ example: 'https://auth.example.com/.well-known/jwks.json' })
  jwks_uri: string;

  @ApiProperty({ example: 'https://auth.example.com/auth/login' })
  token_endpoint: string;

  @ApiProperty({ example: 'https://auth.example.com/auth/revoke' })
  revocation_endpoint: string;

  @ApiProperty({ example: 'https://auth.example.com/auth/introspect' })
  introspection_endpoint: string;

  @ApiProperty({ example: ['password', 'refresh_token'] })
  grant_types_supported: string[];

  @ApiProperty({ example: ['none'] })
  token_endpoint_auth_methods_supported: string[];

  @ApiProperty({ example: ['none'] })
  revocation_endpoint_auth_methods_supported: string[];

  @ApiPropertyOptional({
    example: ['client_secret_basic'],
    description:
      'Present when INTROSPECTION_SECRET is set (an admin bearer token works too).',
  })
  introspection_endpoint_auth_methods_supported?: string[];
}
