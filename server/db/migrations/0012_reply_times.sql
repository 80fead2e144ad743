-- Reply Times, Patient Safety and Clinic Contact (SPEC rules 12 to 14), the clinic's own
-- messages, and what Message Reports reads (each conversation's first reply, carried over).
ALTER TABLE "messages" DROP CONSTRAINT "messages_author";--> statement-breakpoint
ALTER TABLE "chambers" ADD COLUMN "office_hours" jsonb DEFAULT '[{"weekday":1,"opens":"08:00","closes":"18:30"},{"weekday":2,"opens":"08:00","closes":"18:30"},{"weekday":3,"opens":"08:00","closes":"18:30"},{"weekday":4,"opens":"08:00","closes":"18:30"},{"weekday":5,"opens":"08:00","closes":"18:30"}]'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "chambers" ADD COLUMN "clinic_holidays" text[] DEFAULT '{}'::text[] NOT NULL;--> statement-breakpoint
ALTER TABLE "chambers" ADD COLUMN "reply_within_working_hours" integer DEFAULT 16 NOT NULL;--> statement-breakpoint
ALTER TABLE "chambers" ADD COLUMN "out_of_hours_message" text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE "chambers" ADD COLUMN "escalation_role_id" uuid;--> statement-breakpoint
ALTER TABLE "chambers" ADD COLUMN "red_flag_phrases" text[];--> statement-breakpoint
ALTER TABLE "chambers" ADD COLUMN "emergency_advice" text DEFAULT 'If this is an emergency, call 999 now.' NOT NULL;--> statement-breakpoint
ALTER TABLE "chambers" ADD COLUMN "clinic_phone" text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE "conversations" ADD COLUMN "first_reply_at" timestamp with time zone;--> statement-breakpoint
UPDATE "conversations" c SET "first_reply_at" = f.at
  FROM (SELECT DISTINCT ON (chamber_id, conversation_id) chamber_id, conversation_id, created_at AS at
          FROM "messages" WHERE author_kind = 'staff' AND shared_with_patient
         ORDER BY chamber_id, conversation_id, seq) f
 WHERE c.started_by_kind = 'patient' AND c.chamber_id = f.chamber_id AND c.id = f.conversation_id;--> statement-breakpoint
ALTER TABLE "conversations" ADD COLUMN "escalated_reply_by" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "conversations" ADD COLUMN "out_of_hours_answered_until" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "messages" ADD COLUMN "red_flag" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "chambers" ADD CONSTRAINT "chambers_escalation_role_fk" FOREIGN KEY ("id","escalation_role_id") REFERENCES "public"."roles"("chamber_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "conversations_reports_idx" ON "conversations" USING btree ("chamber_id","created_at") WHERE "conversations"."started_by_kind" = 'patient';--> statement-breakpoint
CREATE INDEX "messages_patient_time_idx" ON "messages" USING btree ("chamber_id","created_at","conversation_id","role_ids") WHERE "messages"."author_kind" = 'patient';--> statement-breakpoint
ALTER TABLE "chambers" ADD CONSTRAINT "chambers_reply_within" CHECK ("chambers"."reply_within_working_hours" between 1 and 200);--> statement-breakpoint
ALTER TABLE "messages" ADD CONSTRAINT "messages_author" CHECK (("messages"."author_kind" in ('patient', 'clinic') and "messages"."author_user_id" is null and "messages"."shared_with_patient") or ("messages"."author_kind" = 'staff' and "messages"."author_user_id" is not null));