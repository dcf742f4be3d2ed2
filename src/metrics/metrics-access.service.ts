import { createHash, timingSafeEqual } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { metricsConfig } from 'src/config/metrics.config';
import {
  metricsTokenNotConfiguredError,
  metricsTokenRequiredError,
} from './metrics.errors';

export interface ScrapeClient {
  authorization?: string;
}

/**
 * What a scrape may see. `full`: every label, for a scraper that sent METRICS_TOKEN. `public`: the login failures
 * that answer the same 401 (unknown user, wrong password, disabled…) as one outcome, so watching the counters
 * cannot tell whether an account exists.
 */
export type ScrapeView = 'full' | 'public';

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

/**
 * Who may scrape /metrics: with METRICS_TOKEN, whoever sends it; without one, nobody in production and anyone in
 * development and tests. Production has no "loopback only" mode: a reverse proxy on the same host makes every
 * client loopback.
 */
@Injectable()
export class MetricsAccessService {
  private readonly tokenDigest?: Buffer;

  constructor(
    @Inject(metricsConfig.KEY)
    private readonly config: ConfigType<typeof metricsConfig>,
  ) {
    if (config.token) this.tokenDigest = digest(config.token);
  }

  assertAllowed(client: ScrapeClient): ScrapeView {
    if (this.tokenDigest) {
      const match = /^Bearer\s+(\S+)\s*$/i.exec(client.authorization ?? '');
      // Equal-length digests: the comparison takes the same time whatever was sent.
      if (!match || !timingSafeEqual(digest(match[1]), this.tokenDigest))
        throw metricsTokenRequiredError();
      return 'full';
    }
    if (this.config.production) throw metricsTokenNotConfiguredError();
    return 'public';
  }
}
