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
