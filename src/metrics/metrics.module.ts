import { Global, Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { ActiveSessionsRepository } from './active-sessions.repository';
import { MetricsAccessService } from './metrics-access.service';
import { metricsConfig } from './metrics.config';
import { MetricsController } from './metrics.controller';
import { MetricsService } from './metrics.service';

/** Global so any feature can count its outcomes through MetricsService without importing this module. */
@Global()
@Module({
  imports: [ConfigModule.forFeature(metricsConfig)],
  controllers: [MetricsController],
  providers: [MetricsService, MetricsAccessService, ActiveSessionsRepository],
  exports: [MetricsService],
})
export class MetricsModule {}
