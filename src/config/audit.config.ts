import { registerAs } from '@nestjs/config';
import { parseEnv } from './env.schema';

export const auditConfig = registerAs('audit', () => ({
  retentionSeconds: parseEnv().AUDIT_RETENTION,
}));
