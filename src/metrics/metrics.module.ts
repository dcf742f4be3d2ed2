import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { MetricsAccessService } from './metrics-access.service';
import { metricsConfig } from 'src/config/metrics.config';
import { MetricsController } from './metrics.controller';
import { MetricsListener } from './metrics.listener';
import { MetricsService } from './metrics.service';

/** Counts the domain events the features announce (MetricsListener); no feature calls it. */
@Module({
  imports: [ConfigModule.forFeature(metricsConfig)],
  controllers: [MetricsController],
  providers: [MetricsService, MetricsAccessService, MetricsListener],
  exports: [MetricsService],
})
export class MetricsModule {}
