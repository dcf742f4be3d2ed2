import type { IncomingMessage, ServerResponse } from 'node:http';
import type { LevelWithSilent } from 'pino';
import type { Options } from 'pino-http';
import { serializeError } from './error-serializer';
import { scrub, scrubLine, scrubUrl } from './redact';

interface SerializedRequest {
  id?: unknown;
  method?: string;
  url?: string;
  headers?: Record<string, unknown>;
  remoteAddress?: string;
  raw?: IncomingMessage & { ip?: string };
}

/**
 * The root logger's options (nestjs-pino builds it through pino-http, which wraps the req/res/err serializers with
 * pino's standard ones). The per-request line itself is written by `installRequestLog`, not by pino-http's
 * middleware. Secrets are kept out of every line in three places because pino has three ways into a line: the
 * logged object (formatters.log), the serializers, and the final string (hooks.streamWrite) as the net under both.
 */
export function pinoHttpOptions(
  level: LevelWithSilent,
): Options<IncomingMessage, ServerResponse> {
  return {
    level,
    serializers: {
      req: (request: SerializedRequest) =>
        scrub({
          method: request.method,
          url: scrubUrl(request.url ?? ''),
          ip: request.raw?.ip ?? request.remoteAddress,
          headers: request.headers,
        }),
      res: (response: { statusCode?: number }) => ({
        status: response.statusCode,
      }),
      err: serializeError,
    },
    formatters: {
      log: (object) => scrub(object) as Record<string, unknown>,
      bindings: (bindings) => scrub(bindings) as Record<string, unknown>,
    },
    hooks: { streamWrite: scrubLine },
  };
}
