import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { MetricsService } from './metrics.service';

/**
 * Times every response by its route template (`/auth/sessions/:id`, never the raw path, so ids cannot explode
 * the label set); requests that matched no route share one `unmatched` label. Installed before the routes are.
 */
export function installHttpMetrics(app: NestFastifyApplication): void {
  const metrics = app.get(MetricsService);
  app
    .getHttpAdapter()
    .getInstance()
    .addHook('onResponse', (request, reply, done) => {
      metrics.observeHttpRequest(
        request.method,
        request.routeOptions.url ?? 'unmatched',
        reply.statusCode,
        reply.elapsedTime / 1000,
      );
      done();
    });
}
