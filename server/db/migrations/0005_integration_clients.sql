CREATE TABLE "integration_clients" (
	"chamber_id" uuid NOT NULL,
	"id" uuid NOT NULL,
	"client_id" text NOT NULL,
	"name" text NOT NULL,
	"scopes" text NOT NULL,
	"secret_hash" text NOT NULL,
	"created_by_user_id" uuid,
	"created_at" timestamp with time zone NOT NULL,
	"last_token_at" timestamp with time zone,
	"revoked_at" timestamp with time zone,
	"revoked_by_user_id" uuid,
	CONSTRAINT "integration_clients_pk" PRIMARY KEY("chamber_id","id"),
	CONSTRAINT "integration_clients_client_id_format" CHECK ("integration_clients"."client_id" ~ '^[a-z0-9][a-z0-9-]{0,127}$'),
	CONSTRAINT "integration_clients_name_length" CHECK (char_length("integration_clients"."name") between 1 and 100),
	CONSTRAINT "integration_clients_scopes_length" CHECK (char_length("integration_clients"."scopes") between 1 and 1000)
);
--> statement-breakpoint
CREATE TABLE "integration_tokens" (
	"chamber_id" uuid NOT NULL,
	"id" uuid NOT NULL,
	"integration_client_id" uuid NOT NULL,
	"token_hash" text NOT NULL,
	"scopes" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	CONSTRAINT "integration_tokens_pk" PRIMARY KEY("chamber_id","id")
);
--> statement-breakpoint
ALTER TABLE "integration_clients" ADD CONSTRAINT "integration_clients_chamber_id_chambers_id_fk" FOREIGN KEY ("chamber_id") REFERENCES "public"."chambers"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "integration_clients" ADD CONSTRAINT "integration_clients_created_by_fk" FOREIGN KEY ("chamber_id","created_by_user_id") REFERENCES "public"."users"("chamber_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "integration_clients" ADD CONSTRAINT "integration_clients_revoked_by_fk" FOREIGN KEY ("chamber_id","revoked_by_user_id") REFERENCES "public"."users"("chamber_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "integration_tokens" ADD CONSTRAINT "integration_tokens_client_fk" FOREIGN KEY ("chamber_id","integration_client_id") REFERENCES "public"."integration_clients"("chamber_id","id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "integration_clients_client_id_unique" ON "integration_clients" USING btree ("client_id");--> statement-breakpoint
CREATE UNIQUE INDEX "integration_clients_name_unique" ON "integration_clients" USING btree ("chamber_id",lower("name")) WHERE "integration_clients"."revoked_at" is null;--> statement-breakpoint
CREATE UNIQUE INDEX "integration_tokens_hash_unique" ON "integration_tokens" USING btree ("token_hash");--> statement-breakpoint
CREATE INDEX "integration_tokens_client_idx" ON "integration_tokens" USING btree ("chamber_id","integration_client_id","expires_at");