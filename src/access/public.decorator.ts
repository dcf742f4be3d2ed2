import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiExtension } from '@nestjs/swagger';

export const IS_PUBLIC_KEY = 'gatehouse:isPublic';
/** OpenAPI marker read by the document builder: operations without it get the bearer security requirement. */
export const PUBLIC_EXTENSION = 'x-gatehouse-public';

/** Opens a handler or controller to unauthenticated callers; everything else requires a bearer token. */
export const Public = (): MethodDecorator & ClassDecorator =>
  applyDecorators(
    SetMetadata(IS_PUBLIC_KEY, true),
    ApiExtension(PUBLIC_EXTENSION, true),
  );

export const IS_BEARER_OPTIONAL_KEY = 'gatehouse:bearerOptional';
/** OpenAPI marker: the document offers such operations with a bearer token or without one. */
export const BEARER_OPTIONAL_EXTENSION = 'x-gatehouse-bearer-optional';

/**
 * Open to unauthenticated callers, but a bearer token, when sent, is checked like anywhere else (a bad one is a
 * 401) and the handler sees its user: for routes that serve the signed-in user and the anonymous form alike.
 */
export const BearerOptional = (): MethodDecorator & ClassDecorator =>
  applyDecorators(
    Public(),
    SetMetadata(IS_BEARER_OPTIONAL_KEY, true),
    ApiExtension(BEARER_OPTIONAL_EXTENSION, true),
  );
