import { bearer } from './helpers/http';
import type { TestApp } from './helpers/test-app';

/** One audit event as both audit routes return it. */
export interface EventBody {
  id: string;
  type: string;
  occurred_at: string;
  user_id: string | null;
  actor_id: string | null;
  ip: string | null;
  user_agent: string | null;
  session_id: string | null;
  details: Record<string, unknown>;
}

/** The first page of the caller's own events (GET /auth/me/events). */
export async function myEvents(
  t: TestApp,
  access: string,
  query: Record<string, string | number> = {},
): Promise<EventBody[]> {
  const res = await t
    .http()
    .get('/auth/me/events')
    .query(query)
    .set(...bearer(access))
    .expect(200);
  return res.body.items as EventBody[];
}

/** One page of everyone's events, as an admin sees them (GET /admin/audit-events). */
export async function adminEvents(
  t: TestApp,
  access: string,
  query: Record<string, string | number>,
): Promise<{ items: EventBody[]; next_cursor: string | null }> {
  const res = await t
    .http()
    .get('/admin/audit-events')
    .query(query)
    .set(...bearer(access))
    .expect(200);
  return res.body as { items: EventBody[]; next_cursor: string | null };
}
