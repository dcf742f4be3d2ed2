import { Controller, Get, Header } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { Registry } from 'prom-client';
import { Public } from 'src/access/public.decorator';
import { MetricsAccessService } from './metrics-access.service';
import { MetricsService } from './metrics.service';
import { CurrentScrapeClient } from './scrape-client.decorator';
import type { ScrapeClient } from './metrics-access.service';

/**
 * Prometheus scrape endpoint. Not in the OpenAPI document: it is for the operator's scraper, not API clients,
 * and it is guarded by METRICS_TOKEN rather than by user tokens; the README documents it.
 */
@ApiExcludeController()
@Public()
@Controller('metrics')
export class MetricsController {
  constructor(
    private readonly metrics: MetricsService,
    private readonly access: MetricsAccessService,
  ) {}

  @Get()
  @Header('Content-Type', Registry.PROMETHEUS_CONTENT_TYPE)
  @Header('Cache-Control', 'no-store')
  scrape(@CurrentScrapeClient() client: ScrapeClient): Promise<string> {
    return this.metrics.render(this.access.assertAllowed(client));
  }
}
