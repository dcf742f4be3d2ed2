import { DomainError } from 'src/common/domain-error';

export class MetricsTokenRequiredError extends DomainError {
  readonly code = 'METRICS.TOKEN_REQUIRED';
  readonly status = 401;
  readonly title = 'Unauthorized';
  constructor() {
    super('Send the metrics token as `Authorization: Bearer <METRICS_TOKEN>`.');
    this.headers = { 'www-authenticate': 'Bearer realm="metrics"' };
  }
}

export class MetricsTokenNotConfiguredError extends DomainError {
  readonly code = 'METRICS.TOKEN_NOT_CONFIGURED';
  readonly status = 403;
  readonly title = 'Forbidden';
  constructor() {
    super('In production, /metrics is served only when METRICS_TOKEN is set.');
  }
}
