ALTER TABLE "revocations" ADD COLUMN "min_token_version" integer;--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "token_version" integer DEFAULT 0 NOT NULL;