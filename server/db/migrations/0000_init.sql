CREATE TABLE "account_tokens" (
	"chamber_id" uuid NOT NULL,
	"id" uuid NOT NULL,
	"account_kind" text NOT NULL,
	"patient_id" uuid,
	"user_id" uuid,
	"purpose" text NOT NULL,
	"token_hash" text NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"used_at" timestamp with time zone,
	"created_at" timestamp with time zone NOT NULL,
	CONSTRAINT "account_tokens_pk" PRIMARY KEY("chamber_id","id"),
	CONSTRAINT "account_tokens_subject" CHECK (("account_tokens"."account_kind" = 'patient' and "account_tokens"."patient_id" is not null and "account_tokens"."user_id" is null) or ("account_tokens"."account_kind" = 'staff' and "account_tokens"."user_id" is not null and "account_tokens"."patient_id" is null))
);
--> statement-breakpoint
CREATE TABLE "audit_events" (
	"chamber_id" uuid NOT NULL,
	"id" bigint GENERATED ALWAYS AS IDENTITY (sequence name "audit_events_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"at" timestamp with time zone NOT NULL,
	"action" text NOT NULL,
	"actor_kind" text NOT NULL,
	"actor_user_id" uuid,
	"actor_patient_id" uuid,
	"actor_label" text,
	"patient_id" uuid,
	"subject_type" text,
	"subject_id" text,
	"ip" "inet",
	"details" jsonb,
	CONSTRAINT "audit_events_pk" PRIMARY KEY("chamber_id","id")
);
--> statement-breakpoint
CREATE TABLE "chambers" (
	"id" uuid PRIMARY KEY NOT NULL,
	"key" text NOT NULL,
	"name" text NOT NULL,
	"patient_portal_enabled" boolean DEFAULT false NOT NULL,
	"role_for_new_messages_id" uuid,
	"shared_items_email_enabled" boolean DEFAULT false NOT NULL,
	"time_zone" text DEFAULT 'Europe/London' NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	CONSTRAINT "chambers_key_format" CHECK ("chambers"."key" ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
	CONSTRAINT "chambers_name_length" CHECK (char_length("chambers"."name") between 1 and 200)
);
--> statement-breakpoint
CREATE TABLE "charge_bands" (
	"chamber_id" uuid NOT NULL,
	"id" uuid NOT NULL,
	"name" text NOT NULL,
	"online_access" text DEFAULT 'none' NOT NULL,
	"allow_online_messaging" boolean DEFAULT false NOT NULL,
	"online_sign_up_invite_code" text,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	CONSTRAINT "charge_bands_pk" PRIMARY KEY("chamber_id","id"),
	CONSTRAINT "charge_bands_name_length" CHECK (char_length("charge_bands"."name") between 1 and 100),
	CONSTRAINT "charge_bands_online_access_values" CHECK ("charge_bands"."online_access" in ('none', 'allow_and_notify', 'allow_no_notifications'))
);
--> statement-breakpoint
CREATE TABLE "conversation_reads" (
	"chamber_id" uuid NOT NULL,
	"conversation_id" uuid NOT NULL,
	"reader_kind" text NOT NULL,
	"reader_id" uuid NOT NULL,
	"last_read_seq" bigint NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	CONSTRAINT "conversation_reads_pk" PRIMARY KEY("chamber_id","conversation_id","reader_kind","reader_id")
);
--> statement-breakpoint
CREATE TABLE "conversations" (
	"chamber_id" uuid NOT NULL,
	"id" uuid NOT NULL,
	"patient_id" uuid NOT NULL,
	"started_by_kind" text NOT NULL,
	"last_message_at" timestamp with time zone NOT NULL,
	"last_patient_visible_seq" bigint,
	"awaiting_reply" boolean DEFAULT false NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	CONSTRAINT "conversations_pk" PRIMARY KEY("chamber_id","id")
);
--> statement-breakpoint
CREATE TABLE "idempotency_keys" (
	"chamber_id" uuid NOT NULL,
	"actor_key" text NOT NULL,
	"key" text NOT NULL,
	"request_hash" text NOT NULL,
	"response_status" integer NOT NULL,
	"response_body" jsonb NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	CONSTRAINT "idempotency_keys_pk" PRIMARY KEY("chamber_id","actor_key","key")
);
--> statement-breakpoint
CREATE TABLE "jobs" (
	"chamber_id" uuid NOT NULL,
	"id" uuid NOT NULL,
	"kind" text NOT NULL,
	"payload" jsonb NOT NULL,
	"state" text NOT NULL,
	"dedupe_key" text,
	"attempts" integer DEFAULT 0 NOT NULL,
	"max_attempts" integer NOT NULL,
	"run_at" timestamp with time zone NOT NULL,
	"locked_until" timestamp with time zone,
	"last_error" text,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	"finished_at" timestamp with time zone,
	CONSTRAINT "jobs_pk" PRIMARY KEY("chamber_id","id"),
	CONSTRAINT "jobs_state_values" CHECK ("jobs"."state" in ('pending', 'running', 'done', 'failed'))
);
--> statement-breakpoint
CREATE TABLE "message_roles" (
	"chamber_id" uuid NOT NULL,
	"message_id" uuid NOT NULL,
	"role_id" uuid NOT NULL,
	CONSTRAINT "message_roles_pk" PRIMARY KEY("chamber_id","message_id","role_id")
);
--> statement-breakpoint
CREATE TABLE "messages" (
	"chamber_id" uuid NOT NULL,
	"id" uuid NOT NULL,
	"seq" bigint GENERATED ALWAYS AS IDENTITY (sequence name "messages_seq_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"conversation_id" uuid NOT NULL,
	"patient_id" uuid NOT NULL,
	"author_kind" text NOT NULL,
	"author_user_id" uuid,
	"author_role_name" text,
	"text" text NOT NULL,
	"shared_with_patient" boolean NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	CONSTRAINT "messages_pk" PRIMARY KEY("chamber_id","id"),
	CONSTRAINT "messages_text_length" CHECK (char_length("messages"."text") between 1 and 5000 and "messages"."text" ~ '[^[:space:]]'),
	CONSTRAINT "messages_author" CHECK (("messages"."author_kind" = 'patient' and "messages"."author_user_id" is null and "messages"."shared_with_patient") or ("messages"."author_kind" = 'staff' and "messages"."author_user_id" is not null))
);
--> statement-breakpoint
CREATE TABLE "notifications" (
	"chamber_id" uuid NOT NULL,
	"id" uuid NOT NULL,
	"seq" bigint GENERATED ALWAYS AS IDENTITY (sequence name "notifications_seq_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"user_id" uuid NOT NULL,
	"kind" text NOT NULL,
	"patient_id" uuid NOT NULL,
	"conversation_id" uuid NOT NULL,
	"message_id" uuid NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"read_at" timestamp with time zone,
	CONSTRAINT "notifications_pk" PRIMARY KEY("chamber_id","id")
);
--> statement-breakpoint
CREATE TABLE "patients" (
	"chamber_id" uuid NOT NULL,
	"id" uuid NOT NULL,
	"given_name" text NOT NULL,
	"family_name" text NOT NULL,
	"date_of_birth" date NOT NULL,
	"email" text,
	"mobile" text,
	"charge_band_id" uuid NOT NULL,
	"email_consent" boolean DEFAULT false NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	CONSTRAINT "patients_pk" PRIMARY KEY("chamber_id","id"),
	CONSTRAINT "patients_given_name_length" CHECK (char_length("patients"."given_name") between 1 and 100),
	CONSTRAINT "patients_family_name_length" CHECK (char_length("patients"."family_name") between 1 and 100)
);
--> statement-breakpoint
CREATE TABLE "portal_accounts" (
	"chamber_id" uuid NOT NULL,
	"patient_id" uuid NOT NULL,
	"email" text NOT NULL,
	"password_hash" text,
	"state" text NOT NULL,
	"failed_sign_ins" integer DEFAULT 0 NOT NULL,
	"last_reset_requested_at" timestamp with time zone,
	"invited_at" timestamp with time zone,
	"activated_at" timestamp with time zone,
	"password_changed_at" timestamp with time zone,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	CONSTRAINT "portal_accounts_pk" PRIMARY KEY("chamber_id","patient_id"),
	CONSTRAINT "portal_accounts_state_values" CHECK ("portal_accounts"."state" in ('invited', 'active', 'blocked', 'disabled'))
);
--> statement-breakpoint
CREATE TABLE "role_members" (
	"chamber_id" uuid NOT NULL,
	"role_id" uuid NOT NULL,
	"user_id" uuid NOT NULL,
	CONSTRAINT "role_members_pk" PRIMARY KEY("chamber_id","role_id","user_id")
);
--> statement-breakpoint
CREATE TABLE "roles" (
	"chamber_id" uuid NOT NULL,
	"id" uuid NOT NULL,
	"name" text NOT NULL,
	"is_built_in" boolean DEFAULT false NOT NULL,
	"deleted_at" timestamp with time zone,
	"created_at" timestamp with time zone NOT NULL,
	CONSTRAINT "roles_pk" PRIMARY KEY("chamber_id","id"),
	CONSTRAINT "roles_name_length" CHECK (char_length("roles"."name") between 1 and 100)
);
--> statement-breakpoint
CREATE TABLE "sessions" (
	"chamber_id" uuid NOT NULL,
	"id" uuid NOT NULL,
	"token_hash" text NOT NULL,
	"kind" text NOT NULL,
	"user_id" uuid,
	"patient_id" uuid,
	"created_at" timestamp with time zone NOT NULL,
	"last_seen_at" timestamp with time zone NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"ip" text,
	CONSTRAINT "sessions_pk" PRIMARY KEY("chamber_id","id"),
	CONSTRAINT "sessions_subject" CHECK (("sessions"."kind" = 'patient' and "sessions"."patient_id" is not null and "sessions"."user_id" is null) or ("sessions"."kind" = 'staff' and "sessions"."user_id" is not null and "sessions"."patient_id" is null))
);
--> statement-breakpoint
CREATE TABLE "users" (
	"chamber_id" uuid NOT NULL,
	"id" uuid NOT NULL,
	"email" text NOT NULL,
	"name" text NOT NULL,
	"password_hash" text,
	"is_admin" boolean DEFAULT false NOT NULL,
	"active" boolean DEFAULT true NOT NULL,
	"failed_sign_ins" integer DEFAULT 0 NOT NULL,
	"locked_until" timestamp with time zone,
	"password_changed_at" timestamp with time zone,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	CONSTRAINT "users_pk" PRIMARY KEY("chamber_id","id"),
	CONSTRAINT "users_name_length" CHECK (char_length("users"."name") between 1 and 200)
);
--> statement-breakpoint
ALTER TABLE "account_tokens" ADD CONSTRAINT "account_tokens_chamber_id_chambers_id_fk" FOREIGN KEY ("chamber_id") REFERENCES "public"."chambers"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "account_tokens" ADD CONSTRAINT "account_tokens_patient_fk" FOREIGN KEY ("chamber_id","patient_id") REFERENCES "public"."patients"("chamber_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "account_tokens" ADD CONSTRAINT "account_tokens_user_fk" FOREIGN KEY ("chamber_id","user_id") REFERENCES "public"."users"("chamber_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "audit_events" ADD CONSTRAINT "audit_events_chamber_id_chambers_id_fk" FOREIGN KEY ("chamber_id") REFERENCES "public"."chambers"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "chambers" ADD CONSTRAINT "chambers_role_for_new_messages_fk" FOREIGN KEY ("id","role_for_new_messages_id") REFERENCES "public"."roles"("chamber_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "charge_bands" ADD CONSTRAINT "charge_bands_chamber_id_chambers_id_fk" FOREIGN KEY ("chamber_id") REFERENCES "public"."chambers"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "conversation_reads" ADD CONSTRAINT "conversation_reads_conversation_fk" FOREIGN KEY ("chamber_id","conversation_id") REFERENCES "public"."conversations"("chamber_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "conversations" ADD CONSTRAINT "conversations_patient_fk" FOREIGN KEY ("chamber_id","patient_id") REFERENCES "public"."patients"("chamber_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "idempotency_keys" ADD CONSTRAINT "idempotency_keys_chamber_id_chambers_id_fk" FOREIGN KEY ("chamber_id") REFERENCES "public"."chambers"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "jobs" ADD CONSTRAINT "jobs_chamber_id_chambers_id_fk" FOREIGN KEY ("chamber_id") REFERENCES "public"."chambers"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "message_roles" ADD CONSTRAINT "message_roles_message_fk" FOREIGN KEY ("chamber_id","message_id") REFERENCES "public"."messages"("chamber_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "message_roles" ADD CONSTRAINT "message_roles_role_fk" FOREIGN KEY ("chamber_id","role_id") REFERENCES "public"."roles"("chamber_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "messages" ADD CONSTRAINT "messages_conversation_fk" FOREIGN KEY ("chamber_id","conversation_id") REFERENCES "public"."conversations"("chamber_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "messages" ADD CONSTRAINT "messages_patient_fk" FOREIGN KEY ("chamber_id","patient_id") REFERENCES "public"."patients"("chamber_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "messages" ADD CONSTRAINT "messages_author_user_fk" FOREIGN KEY ("chamber_id","author_user_id") REFERENCES "public"."users"("chamber_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "notifications" ADD CONSTRAINT "notifications_user_fk" FOREIGN KEY ("chamber_id","user_id") REFERENCES "public"."users"("chamber_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "notifications" ADD CONSTRAINT "notifications_patient_fk" FOREIGN KEY ("chamber_id","patient_id") REFERENCES "public"."patients"("chamber_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "notifications" ADD CONSTRAINT "notifications_conversation_fk" FOREIGN KEY ("chamber_id","conversation_id") REFERENCES "public"."conversations"("chamber_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "notifications" ADD CONSTRAINT "notifications_message_fk" FOREIGN KEY ("chamber_id","message_id") REFERENCES "public"."messages"("chamber_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "patients" ADD CONSTRAINT "patients_chamber_id_chambers_id_fk" FOREIGN KEY ("chamber_id") REFERENCES "public"."chambers"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "patients" ADD CONSTRAINT "patients_charge_band_fk" FOREIGN KEY ("chamber_id","charge_band_id") REFERENCES "public"."charge_bands"("chamber_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "portal_accounts" ADD CONSTRAINT "portal_accounts_patient_fk" FOREIGN KEY ("chamber_id","patient_id") REFERENCES "public"."patients"("chamber_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "role_members" ADD CONSTRAINT "role_members_role_fk" FOREIGN KEY ("chamber_id","role_id") REFERENCES "public"."roles"("chamber_id","id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "role_members" ADD CONSTRAINT "role_members_user_fk" FOREIGN KEY ("chamber_id","user_id") REFERENCES "public"."users"("chamber_id","id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "roles" ADD CONSTRAINT "roles_chamber_id_chambers_id_fk" FOREIGN KEY ("chamber_id") REFERENCES "public"."chambers"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sessions" ADD CONSTRAINT "sessions_chamber_id_chambers_id_fk" FOREIGN KEY ("chamber_id") REFERENCES "public"."chambers"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sessions" ADD CONSTRAINT "sessions_user_fk" FOREIGN KEY ("chamber_id","user_id") REFERENCES "public"."users"("chamber_id","id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sessions" ADD CONSTRAINT "sessions_patient_fk" FOREIGN KEY ("chamber_id","patient_id") REFERENCES "public"."patients"("chamber_id","id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "users" ADD CONSTRAINT "users_chamber_id_chambers_id_fk" FOREIGN KEY ("chamber_id") REFERENCES "public"."chambers"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "account_tokens_hash_unique" ON "account_tokens" USING btree ("token_hash");--> statement-breakpoint
CREATE INDEX "audit_events_at_idx" ON "audit_events" USING btree ("chamber_id","at");--> statement-breakpoint
CREATE INDEX "audit_events_patient_idx" ON "audit_events" USING btree ("chamber_id","patient_id","at");--> statement-breakpoint
CREATE INDEX "audit_events_user_idx" ON "audit_events" USING btree ("chamber_id","actor_user_id","at");--> statement-breakpoint
CREATE UNIQUE INDEX "chambers_key_unique" ON "chambers" USING btree ("key");--> statement-breakpoint
CREATE UNIQUE INDEX "charge_bands_name_unique" ON "charge_bands" USING btree ("chamber_id",lower("name"));--> statement-breakpoint
CREATE INDEX "conversations_patient_idx" ON "conversations" USING btree ("chamber_id","patient_id","last_message_at");--> statement-breakpoint
CREATE INDEX "conversations_inbox_idx" ON "conversations" USING btree ("chamber_id","patient_id","last_patient_visible_seq") WHERE "conversations"."last_patient_visible_seq" is not null;--> statement-breakpoint
CREATE UNIQUE INDEX "jobs_pending_dedupe_unique" ON "jobs" USING btree ("chamber_id","dedupe_key") WHERE "jobs"."state" = 'pending' and "jobs"."dedupe_key" is not null;--> statement-breakpoint
CREATE INDEX "jobs_due_idx" ON "jobs" USING btree ("run_at") WHERE "jobs"."state" in ('pending', 'running');--> statement-breakpoint
CREATE INDEX "message_roles_role_idx" ON "message_roles" USING btree ("chamber_id","role_id","message_id");--> statement-breakpoint
CREATE UNIQUE INDEX "messages_seq_unique" ON "messages" USING btree ("seq");--> statement-breakpoint
CREATE INDEX "messages_conversation_idx" ON "messages" USING btree ("chamber_id","conversation_id","seq");--> statement-breakpoint
CREATE UNIQUE INDEX "notifications_seq_unique" ON "notifications" USING btree ("seq");--> statement-breakpoint
CREATE UNIQUE INDEX "notifications_user_message_unique" ON "notifications" USING btree ("chamber_id","user_id","message_id");--> statement-breakpoint
CREATE INDEX "notifications_user_idx" ON "notifications" USING btree ("chamber_id","user_id","seq");--> statement-breakpoint
CREATE INDEX "notifications_unread_idx" ON "notifications" USING btree ("chamber_id","user_id") WHERE "notifications"."read_at" is null;--> statement-breakpoint
CREATE INDEX "patients_band_idx" ON "patients" USING btree ("chamber_id","charge_band_id");--> statement-breakpoint
CREATE INDEX "patients_family_name_idx" ON "patients" USING btree ("chamber_id",lower("family_name"));--> statement-breakpoint
CREATE INDEX "patients_given_name_idx" ON "patients" USING btree ("chamber_id",lower("given_name"));--> statement-breakpoint
CREATE INDEX "patients_email_idx" ON "patients" USING btree ("chamber_id",lower("email"));--> statement-breakpoint
CREATE INDEX "patients_dob_idx" ON "patients" USING btree ("chamber_id","date_of_birth");--> statement-breakpoint
CREATE UNIQUE INDEX "portal_accounts_email_unique" ON "portal_accounts" USING btree ("chamber_id",lower("email"));--> statement-breakpoint
CREATE INDEX "role_members_user_idx" ON "role_members" USING btree ("chamber_id","user_id");--> statement-breakpoint
CREATE UNIQUE INDEX "roles_name_unique" ON "roles" USING btree ("chamber_id",lower("name")) WHERE "roles"."deleted_at" is null;--> statement-breakpoint
CREATE UNIQUE INDEX "sessions_token_hash_unique" ON "sessions" USING btree ("token_hash");--> statement-breakpoint
CREATE INDEX "sessions_user_idx" ON "sessions" USING btree ("chamber_id","user_id");--> statement-breakpoint
CREATE INDEX "sessions_patient_idx" ON "sessions" USING btree ("chamber_id","patient_id");--> statement-breakpoint
CREATE UNIQUE INDEX "users_email_unique" ON "users" USING btree ("chamber_id",lower("email"));