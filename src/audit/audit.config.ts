import { registerAs } from '@nestjs/config';
import { parseEnv } from 'src/config/env.schema';

export const auditConfig = registerAs('audit', () => ({
  retentionSeconds: parseEnv().AUDIT_RETENTION,
}));
