import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { FastifyInstance } from 'fastify';

export const REQUEST_ID_HEADER = 'x-request-id';

/** What a caller may send as its own request id: short and safe to put in a log line or a header. */
const ACCEPTABLE_ID = /^[A-Za-z0-9._-]{1,128}$/;

/**
 * Fastify's `genReqId`: the caller's X-Request-Id when it is acceptable, else a fresh UUID. Fastify's own
 * `requestIdHeader` would take any header value unchecked, so it stays off and the check lives here.
 */
export function generateRequestId(request: IncomingMessage): string {
  const header = request.headers[REQUEST_ID_HEADER];
  const candidate = Array.isArray(header) ? header[0] : header;
  return candidate && ACCEPTABLE_ID.test(candidate) ? candidate : randomUUID();
}

/** Echoes the request id on every response, including 404s and body-parsing errors. */
export function echoRequestId(fastify: FastifyInstance): void {
  fastify.addHook('onRequest', (request, reply, done) => {
    void reply.header(REQUEST_ID_HEADER, request.id);
    done();
  });
}
