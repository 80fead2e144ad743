-- Portal accounts apart from patients (rule 18): an account gets an id of its own; its patient
-- becomes optional (a proxy need not be a patient). Every existing account keeps its patient,
-- and sessions and links name the account.
ALTER TABLE "portal_accounts" ADD COLUMN "id" uuid NOT NULL DEFAULT gen_random_uuid();
--> statement-breakpoint
ALTER TABLE "portal_accounts" ALTER COLUMN "id" DROP DEFAULT;
--> statement-breakpoint
CREATE UNIQUE INDEX "portal_accounts_patient_unique" ON "portal_accounts" USING btree ("chamber_id","patient_id");
--> statement-breakpoint
ALTER TABLE "portal_accounts" DROP CONSTRAINT "portal_accounts_pk";
--> statement-breakpoint
ALTER TABLE "portal_accounts" ADD CONSTRAINT "portal_accounts_pk" PRIMARY KEY("chamber_id","id");
--> statement-breakpoint
ALTER TABLE "portal_accounts" ALTER COLUMN "patient_id" DROP NOT NULL;
--> statement-breakpoint
ALTER TABLE "account_tokens" ADD COLUMN "account_id" uuid;
--> statement-breakpoint
ALTER TABLE "messages" ADD COLUMN "proxy_account_id" uuid;
--> statement-breakpoint
ALTER TABLE "patients" ADD COLUMN "signed_up_online_at" timestamp with time zone;
--> statement-breakpoint
ALTER TABLE "patients" ADD COLUMN "sign_up_linked" boolean;
--> statement-breakpoint
ALTER TABLE "portal_accounts" ADD COLUMN "name" text;
--> statement-breakpoint
ALTER TABLE "portal_accounts" ADD COLUMN "email_consent" boolean DEFAULT false NOT NULL;
--> statement-breakpoint
ALTER TABLE "sessions" ADD COLUMN "account_id" uuid;
--> statement-breakpoint
CREATE TABLE "patient_proxies" (
	"chamber_id" uuid NOT NULL,
	"id" uuid NOT NULL,
	"patient_id" uuid NOT NULL,
	"account_id" uuid NOT NULL,
	"relationship" text NOT NULL,
	"ends_on" date,
	"created_at" timestamp with time zone NOT NULL,
	"created_by_user_id" uuid NOT NULL,
	"ended_at" timestamp with time zone,
	"ended_by_user_id" uuid,
	"ended_by_account_id" uuid,
	CONSTRAINT "patient_proxies_pk" PRIMARY KEY("chamber_id","id"),
	CONSTRAINT "patient_proxies_relationship_length" CHECK (char_length("patient_proxies"."relationship") between 1 and 60)
);
--> statement-breakpoint
ALTER TABLE "patient_proxies" ADD CONSTRAINT "patient_proxies_patient_fk" FOREIGN KEY ("chamber_id","patient_id") REFERENCES "public"."patients"("chamber_id","id") ON DELETE cascade ON UPDATE no action;
--> statement-breakpoint
ALTER TABLE "patient_proxies" ADD CONSTRAINT "patient_proxies_created_by_fk" FOREIGN KEY ("chamber_id","created_by_user_id") REFERENCES "public"."users"("chamber_id","id") ON DELETE no action ON UPDATE no action;
--> statement-breakpoint
CREATE UNIQUE INDEX "patient_proxies_live_unique" ON "patient_proxies" USING btree ("chamber_id","patient_id","account_id") WHERE "patient_proxies"."ended_at" is null;
--> statement-breakpoint
CREATE INDEX "patient_proxies_account_idx" ON "patient_proxies" USING btree ("chamber_id","account_id");
--> statement-breakpoint
CREATE INDEX "sessions_account_idx" ON "sessions" USING btree ("chamber_id","account_id");
--> statement-breakpoint
ALTER TABLE "portal_accounts" ADD CONSTRAINT "portal_accounts_holder" CHECK ("portal_accounts"."patient_id" is not null or coalesce(char_length("portal_accounts"."name"), 0) between 1 and 200);
--> statement-breakpoint
ALTER TABLE "patient_proxies" ADD CONSTRAINT "patient_proxies_account_fk" FOREIGN KEY ("chamber_id","account_id") REFERENCES "public"."portal_accounts"("chamber_id","id") ON DELETE cascade ON UPDATE no action;
--> statement-breakpoint
ALTER TABLE "account_tokens" ADD CONSTRAINT "account_tokens_account_fk" FOREIGN KEY ("chamber_id","account_id") REFERENCES "public"."portal_accounts"("chamber_id","id") ON DELETE cascade ON UPDATE no action;
--> statement-breakpoint
ALTER TABLE "messages" ADD CONSTRAINT "messages_proxy_account_fk" FOREIGN KEY ("chamber_id","proxy_account_id") REFERENCES "public"."portal_accounts"("chamber_id","id") ON DELETE no action ON UPDATE no action;
--> statement-breakpoint
ALTER TABLE "sessions" ADD CONSTRAINT "sessions_account_fk" FOREIGN KEY ("chamber_id","account_id") REFERENCES "public"."portal_accounts"("chamber_id","id") ON DELETE cascade ON UPDATE no action;
--> statement-breakpoint
ALTER TABLE "account_tokens" DROP CONSTRAINT "account_tokens_subject";
--> statement-breakpoint
UPDATE "account_tokens" t SET "account_id" = a."id" FROM "portal_accounts" a WHERE t."account_kind" = 'patient' AND a."chamber_id" = t."chamber_id" AND a."patient_id" = t."patient_id";
--> statement-breakpoint
-- A link of a patient without an account (cannot be made, but never fail on one): used up.
DELETE FROM "account_tokens" WHERE "account_kind" = 'patient' AND "account_id" IS NULL;
--> statement-breakpoint
ALTER TABLE "account_tokens" ADD CONSTRAINT "account_tokens_subject" CHECK (("account_tokens"."account_kind" = 'patient' and "account_tokens"."account_id" is not null and "account_tokens"."user_id" is null) or ("account_tokens"."account_kind" = 'staff' and "account_tokens"."user_id" is not null and "account_tokens"."account_id" is null and "account_tokens"."patient_id" is null));
--> statement-breakpoint
UPDATE "sessions" s SET "account_id" = a."id" FROM "portal_accounts" a WHERE s."kind" = 'patient' AND a."chamber_id" = s."chamber_id" AND a."patient_id" = s."patient_id";
--> statement-breakpoint
DELETE FROM "sessions" WHERE "kind" = 'patient' AND "account_id" IS NULL;
