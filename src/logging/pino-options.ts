import type { IncomingMessage, ServerResponse } from 'node:http';
import type { LevelWithSilent } from 'pino';
import type { Options } from 'pino-http';
import { scrub, scrubLine, scrubString, scrubUrl } from './redact';
import { generateRequestId } from './request-id';

interface SerializedRequest {
  id?: unknown;
  method?: string;
  url?: string;
  headers?: Record<string, unknown>;
  remoteAddress?: string;
  raw?: IncomingMessage & { ip?: string };
}

interface SerializedError {
  type?: string;
  message?: string;
  stack?: string;
  [key: string]: unknown;
}

/**
 * pino-http options: one line per request carrying `request_id`, and secrets kept out of every line. Scrubbing
 * happens in three places because pino has three ways into a line: the logged object (formatters.log), the
 * request/response/error serializers, and the final string (hooks.streamWrite) as the net under both.
 */
export function pinoHttpOptions(
  level: LevelWithSilent,
): Options<IncomingMessage, ServerResponse> {
  return {
    level,
    customAttributeKeys: { reqId: 'request_id', responseTime: 'duration_ms' },
    // Lines written while serving a request carry only its id; the completion line carries the request itself.
    quietReqLogger: true,
    genReqId: (request) => request.id ?? generateRequestId(request),
    customLogLevel: (_request, response, error) =>
      error || response.statusCode >= 500 ? 'error' : 'info',
    customSuccessMessage: (request, response) =>
      `${request.method} ${scrubUrl(request.url ?? '')} ${response.statusCode}`,
    customErrorMessage: (request, response) =>
      `${request.method} ${scrubUrl(request.url ?? '')} ${response.statusCode}`,
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
      err: (error: SerializedError) => {
        const { type, message, stack, ...rest } = error;
        return {
          type,
          message: scrubString(message ?? ''),
          stack: scrubString(stack ?? ''),
          ...(scrub(rest) as object),
        };
      },
    },
    formatters: {
      log: (object) => scrub(object) as Record<string, unknown>,
      bindings: (bindings) => scrub(bindings) as Record<string, unknown>,
    },
    hooks: { streamWrite: scrubLine },
  };
}
