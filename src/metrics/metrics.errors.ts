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

export class MetricsLoopbackOnlyError extends DomainError {
  readonly code = 'METRICS.LOOPBACK_ONLY';
  readonly status = 403;
  readonly title = 'Forbidden';
  constructor() {
    super(
      'Without METRICS_TOKEN, metrics are served to loopback clients only.',
    );
  }
}
