DROP INDEX "sessions_revoked_at_idx";--> statement-breakpoint
DROP INDEX "sessions_expires_at_idx";--> statement-breakpoint
CREATE INDEX "refresh_tokens_successor_consumed_at_idx" ON "refresh_tokens" USING btree ("consumed_at") WHERE "refresh_tokens"."successor" is not null;--> statement-breakpoint
CREATE INDEX "sessions_ended_at_idx" ON "sessions" USING btree (least("expires_at", "idle_expires_at", "revoked_at"));