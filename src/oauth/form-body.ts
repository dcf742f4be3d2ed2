import { parse } from 'node:querystring';
import type { FastifyInstance } from 'fastify';

/** The only routes that take application/x-www-form-urlencoded, as RFC 7009/7662 clients send it. */
export const FORM_BODY_ROUTES: ReadonlySet<string> = new Set([
  '/auth/revoke',
  '/auth/introspect',
]);

/**
 * Registers a form parser that answers every other route with 415, exactly as if no form parser existed, so the
 * rest of the API stays JSON-only.
 */
export function registerFormBodyParser(
  fastify: FastifyInstance,
  bodyLimit: number,
): void {
  fastify.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string', bodyLimit },
    (request, body, done) => {
      if (!FORM_BODY_ROUTES.has(request.routeOptions.url ?? '')) {
        const error = Object.assign(
          new Error(
            'Unsupported Media Type: application/x-www-form-urlencoded',
          ),
          { statusCode: 415, code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE' },
        );
        done(error, undefined);
        return;
      }
      const fields: Record<string, unknown> = parse(body as string);
      // The same stance as Fastify's JSON parser on prototype poisoning: refuse rather than strip.
      if (
        Object.hasOwn(fields, '__proto__') ||
        Object.hasOwn(fields, 'constructor')
      ) {
        done(
          Object.assign(new Error('Forbidden form field name'), {
            statusCode: 400,
            code: 'FST_ERR_CTP_INVALID_FORM_BODY',
          }),
          undefined,
        );
        return;
      }
      done(null, { ...fields });
    },
  );
}
