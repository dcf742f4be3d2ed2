import { DomainError } from 'src/common/domain-error';

export const metricsTokenRequiredError = (): DomainError =>
  new DomainError(
    'METRICS.TOKEN_REQUIRED',
    'Send the metrics token as `Authorization: Bearer <METRICS_TOKEN>`.',
  );

export const metricsTokenNotConfiguredError = (): DomainError =>
  new DomainError(
    'METRICS.TOKEN_NOT_CONFIGURED',
    'In production, /metrics is served only when METRICS_TOKEN is set.',
  );
