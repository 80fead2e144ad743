CREATE TABLE "auth_challenges" (
	"chamber_id" uuid NOT NULL,
	"id" uuid NOT NULL,
	"purpose" text NOT NULL,
	"user_id" uuid,
	"session_id" uuid,
	"challenge" text NOT NULL,
	"secret" text,
	"nonce" text,
	"created_at" timestamp with time zone NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	CONSTRAINT "auth_challenges_pk" PRIMARY KEY("chamber_id","id")
);
--> statement-breakpoint
CREATE TABLE "staff_recovery_codes" (
	"chamber_id" uuid NOT NULL,
	"id" uuid NOT NULL,
	"user_id" uuid NOT NULL,
	"code_hash" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"used_at" timestamp with time zone,
	CONSTRAINT "staff_recovery_codes_pk" PRIMARY KEY("chamber_id","id")
);
--> statement-breakpoint
CREATE TABLE "staff_second_factors" (
	"chamber_id" uuid NOT NULL,
	"id" uuid NOT NULL,
	"user_id" uuid NOT NULL,
	"kind" text NOT NULL,
	"name" text NOT NULL,
	"credential_id" text,
	"public_key" text,
	"sign_count" bigint DEFAULT 0 NOT NULL,
	"transports" text[],
	"totp_secret" text,
	"totp_last_step" bigint,
	"created_at" timestamp with time zone NOT NULL,
	"last_used_at" timestamp with time zone,
	CONSTRAINT "staff_second_factors_pk" PRIMARY KEY("chamber_id","id"),
	CONSTRAINT "staff_second_factors_name_length" CHECK (char_length("staff_second_factors"."name") between 1 and 100),
	CONSTRAINT "staff_second_factors_kind_fields" CHECK (("staff_second_factors"."kind" = 'passkey' and "staff_second_factors"."credential_id" is not null and "staff_second_factors"."public_key" is not null) or ("staff_second_factors"."kind" = 'totp' and "staff_second_factors"."totp_secret" is not null))
);
--> statement-breakpoint
ALTER TABLE "chambers" ADD COLUMN "require_staff_two_step" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "chambers" ADD COLUMN "sso_issuer" text;--> statement-breakpoint
ALTER TABLE "chambers" ADD COLUMN "sso_client_id" text;--> statement-breakpoint
ALTER TABLE "chambers" ADD COLUMN "sso_client_secret" text;--> statement-breakpoint
ALTER TABLE "chambers" ADD COLUMN "sso_name" text;--> statement-breakpoint
ALTER TABLE "chambers" ADD COLUMN "sso_allow_password_sign_in" boolean DEFAULT true NOT NULL;--> statement-breakpoint
ALTER TABLE "sessions" ADD COLUMN "stage" text DEFAULT 'full' NOT NULL;--> statement-breakpoint
ALTER TABLE "sessions" ADD COLUMN "method" text;--> statement-breakpoint
ALTER TABLE "auth_challenges" ADD CONSTRAINT "auth_challenges_chamber_id_chambers_id_fk" FOREIGN KEY ("chamber_id") REFERENCES "public"."chambers"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "auth_challenges" ADD CONSTRAINT "auth_challenges_user_fk" FOREIGN KEY ("chamber_id","user_id") REFERENCES "public"."users"("chamber_id","id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "staff_recovery_codes" ADD CONSTRAINT "staff_recovery_codes_user_fk" FOREIGN KEY ("chamber_id","user_id") REFERENCES "public"."users"("chamber_id","id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "staff_second_factors" ADD CONSTRAINT "staff_second_factors_user_fk" FOREIGN KEY ("chamber_id","user_id") REFERENCES "public"."users"("chamber_id","id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "auth_challenges_challenge_unique" ON "auth_challenges" USING btree ("challenge");--> statement-breakpoint
CREATE INDEX "auth_challenges_expires_idx" ON "auth_challenges" USING btree ("expires_at");--> statement-breakpoint
CREATE INDEX "staff_recovery_codes_user_idx" ON "staff_recovery_codes" USING btree ("chamber_id","user_id");--> statement-breakpoint
CREATE INDEX "staff_second_factors_user_idx" ON "staff_second_factors" USING btree ("chamber_id","user_id");--> statement-breakpoint
CREATE UNIQUE INDEX "staff_second_factors_credential_unique" ON "staff_second_factors" USING btree ("credential_id") WHERE "staff_second_factors"."credential_id" is not null;--> statement-breakpoint
CREATE UNIQUE INDEX "staff_second_factors_one_totp" ON "staff_second_factors" USING btree ("chamber_id","user_id") WHERE "staff_second_factors"."kind" = 'totp';