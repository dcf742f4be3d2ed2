import { createHash, timingSafeEqual } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { metricsConfig } from './metrics.config';
import {
  MetricsLoopbackOnlyError,
  MetricsTokenRequiredError,
} from './metrics.errors';

export interface ScrapeClient {
  authorization?: string;
  /** The client address after TRUST_PROXY (request.ip). */
  ip?: string;
  /** The TCP peer, whatever X-Forwarded-For says. */
  peerAddress?: string;
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|::ffff:127\.\d+\.\d+\.\d+)$/;

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

/**
 * Who may scrape /metrics: with METRICS_TOKEN, whoever sends it; without one, anyone in development and tests,
 * loopback clients only in production. Loopback means both the TCP peer and the resolved client address, so
 * a forged X-Forwarded-For cannot pass for 127.0.0.1 on a directly exposed instance.
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

  assertAllowed(client: ScrapeClient): void {
    if (this.tokenDigest) {
      const match = /^Bearer\s+(\S+)\s*$/i.exec(client.authorization ?? '');
      // Equal-length digests: the comparison takes the same time whatever was sent.
      if (!match || !timingSafeEqual(digest(match[1]), this.tokenDigest))
        throw new MetricsTokenRequiredError();
      return;
    }
    if (!this.config.production) return;
    if (
      !LOOPBACK.test(client.ip ?? '') ||
      !LOOPBACK.test(client.peerAddress ?? '')
    )
      throw new MetricsLoopbackOnlyError();
  }
}
