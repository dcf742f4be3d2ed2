import { randomUUID } from 'node:crypto';

/**
 * openid-client 6 is ESM-only. A real dynamic import (not compiled to require) loads it on first use, so nothing
 * reachable from AppModule imports it statically: jest on Node 20 refuses a static import of an ES module.
 */
export type OpenIdClient = typeof import('openid-client');

// A source of its own each time this module is evaluated: V8 reuses the compiled code of an identical Function
// source, and with it the import hook of the jest environment that compiled it first, which a later spec file finds
// torn down ("You are trying to `import` a file after the Jest environment has been torn down").
// eslint-disable-next-line @typescript-eslint/no-implied-eval
const importOpenIdClient = new Function(
  `return import("openid-client") // ${randomUUID()}`,
) as () => Promise<OpenIdClient>;

let loaded: Promise<OpenIdClient> | undefined;

export function loadOpenIdClient(): Promise<OpenIdClient> {
  // A failed load is not kept: the next use tries again.
  loaded ??= importOpenIdClient().catch((error: unknown) => {
    loaded = undefined;
    throw error;
  });
  return loaded;
}
