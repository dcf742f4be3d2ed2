import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import helmet, { type HelmetOptions } from 'helmet';

/**
 * The headers helmet sets for `options`, computed once by running its middleware against a recording response.
 * `@fastify/helmet` calls `helmet(options)` again on every request (parsing the CSP directives each time), which
 * measured as the largest single cost of a protected GET; the headers themselves never change between requests
 * because no directive here is a per-request function (that is refused below rather than silently frozen).
 */
export function securityHeaders(
  options: HelmetOptions,
): Record<string, string> {
  const directives =
    typeof options.contentSecurityPolicy === 'object'
      ? Object.values(options.contentSecurityPolicy.directives ?? {})
      : [];
  for (const values of directives) {
    if (
      values &&
      typeof values === 'object' &&
      [...(values as Iterable<unknown>)].some((v) => typeof v === 'function')
    )
      throw new Error(
        'securityHeaders: per-request CSP directives are not supported',
      );
  }
  const headers: Record<string, string> = {};
  const recorder = {
    setHeader(name: string, value: unknown) {
      headers[name.toLowerCase()] = String(value);
    },
    removeHeader(name: string) {
      delete headers[name.toLowerCase()];
    },
  };
  helmet(options)(
    {} as IncomingMessage,
    recorder as unknown as ServerResponse,
    (error?: unknown) => {
      if (error)
        throw error instanceof Error
          ? error
          : new Error('helmet refused its options');
    },
  );
  return headers;
}

/** Sets the precomputed security headers on every response, 404s and framework errors included. */
export function installSecurityHeaders(
  fastify: FastifyInstance,
  options: HelmetOptions,
): void {
  const headers = securityHeaders(options);
  fastify.addHook('onRequest', (_request, reply, done) => {
    void reply.headers(headers);
    done();
  });
}
