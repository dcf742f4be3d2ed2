import type { FastifyInstance } from 'fastify';
import { PinoLogger } from 'nestjs-pino';
import { scrubUrl } from './redact';

/**
 * One JSON line per request, written when its response is done: method, scrubbed url, status, duration, the
 * redacted headers and the request id. pino-http's middleware wrote the same line, but built two child loggers for
 * every request and ran each in an AsyncLocalStorage context, whose promise hooks on Node 20 tax every promise of
 * every request; together that was a third of a protected GET's CPU (issue 7). When the line's level is off
 * (LOG_LEVEL=warn), a request costs one level check here.
 */
export function installRequestLog(fastify: FastifyInstance): void {
  fastify.addHook('onResponse', (request, reply, done) => {
    const status = reply.statusCode;
    const level = status >= 500 ? 'error' : 'info';
    // nestjs-pino sets the root logger while the application initialises, before the server listens.
    const logger = PinoLogger.root;
    if (logger?.isLevelEnabled(level)) {
      logger[level](
        {
          request_id: request.id,
          // The `req` serializer scrubs the headers and the url; `res` keeps only the status.
          req: {
            method: request.method,
            url: request.url,
            ip: request.ip,
            headers: request.headers,
          },
          res: reply.raw,
          duration_ms: Math.round(reply.elapsedTime * 10) / 10,
        },
        `${request.method} ${scrubUrl(request.url)} ${status}`,
      );
    }
    done();
  });
}
