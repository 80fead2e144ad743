CREATE TABLE "live_events" (
	"chamber_id" uuid NOT NULL,
	"seq" bigint GENERATED ALWAYS AS IDENTITY (sequence name "live_events_seq_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"kind" text NOT NULL,
	"patient_id" uuid,
	"conversation_id" uuid,
	"message_id" uuid,
	"to_patient" boolean DEFAULT false NOT NULL,
	"role_ids" uuid[] DEFAULT '{}'::uuid[] NOT NULL,
	"user_ids" uuid[] DEFAULT '{}'::uuid[] NOT NULL,
	"data" jsonb,
	"created_at" timestamp with time zone NOT NULL,
	CONSTRAINT "live_events_pk" PRIMARY KEY("seq")
);
--> statement-breakpoint
CREATE TABLE "topics" (
	"chamber_id" uuid NOT NULL,
	"id" uuid NOT NULL,
	"name" text NOT NULL,
	"role_id" uuid NOT NULL,
	"active" boolean DEFAULT true NOT NULL,
	"deleted_at" timestamp with time zone,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	CONSTRAINT "topics_pk" PRIMARY KEY("chamber_id","id"),
	CONSTRAINT "topics_name_length" CHECK (char_length("topics"."name") between 1 and 100)
);
--> statement-breakpoint
DROP INDEX "notifications_user_message_unique";--> statement-breakpoint
ALTER TABLE "notifications" ALTER COLUMN "patient_id" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "notifications" ALTER COLUMN "conversation_id" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "notifications" ALTER COLUMN "message_id" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "conversations" ADD COLUMN "last_seq" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "conversations" ADD COLUMN "topic_id" uuid;--> statement-breakpoint
ALTER TABLE "conversations" ADD COLUMN "subject" text;--> statement-breakpoint
ALTER TABLE "conversations" ADD COLUMN "status" text DEFAULT 'open' NOT NULL;--> statement-breakpoint
ALTER TABLE "conversations" ADD COLUMN "assignee_user_id" uuid;--> statement-breakpoint
ALTER TABLE "conversations" ADD COLUMN "red_flag" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "conversations" ADD COLUMN "reply_by" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "conversations" ADD COLUMN "staff_role_ids" uuid[] DEFAULT '{}'::uuid[] NOT NULL;--> statement-breakpoint
ALTER TABLE "conversations" ADD COLUMN "staff_author_ids" uuid[] DEFAULT '{}'::uuid[] NOT NULL;--> statement-breakpoint
ALTER TABLE "conversations" ADD COLUMN "answered_by_user_id" uuid;--> statement-breakpoint
ALTER TABLE "conversations" ADD COLUMN "answered_seq" bigint;--> statement-breakpoint
ALTER TABLE "conversations" ADD COLUMN "updated_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "notifications" ADD COLUMN "message_count" integer DEFAULT 1 NOT NULL;--> statement-breakpoint
ALTER TABLE "notifications" ADD COLUMN "updated_at" timestamp with time zone;--> statement-breakpoint
-- Existing conversations: their newest message, who can see them, and their last answer.
UPDATE "conversations" c SET
  "last_seq" = coalesce((SELECT max(m.seq) FROM "messages" m WHERE m.chamber_id = c.chamber_id AND m.conversation_id = c.id), 0),
  "staff_role_ids" = coalesce((SELECT array_agg(DISTINCT mr.role_id) FROM "message_roles" mr JOIN "messages" m ON m.chamber_id = mr.chamber_id AND m.id = mr.message_id WHERE m.chamber_id = c.chamber_id AND m.conversation_id = c.id), '{}'::uuid[]),
  "staff_author_ids" = coalesce((SELECT array_agg(DISTINCT m.author_user_id) FROM "messages" m WHERE m.chamber_id = c.chamber_id AND m.conversation_id = c.id AND m.author_user_id IS NOT NULL), '{}'::uuid[]),
  "updated_at" = c.last_message_at;--> statement-breakpoint
UPDATE "conversations" c SET ("answered_by_user_id", "answered_seq") = (
  SELECT m.author_user_id, m.seq FROM "messages" m
   WHERE m.chamber_id = c.chamber_id AND m.conversation_id = c.id AND m.author_kind = 'staff' AND m.shared_with_patient
   ORDER BY m.seq DESC LIMIT 1);--> statement-breakpoint
-- Existing unread notifications become one item per conversation: the newest keeps the count.
UPDATE "notifications" n SET "message_count" = r.n, "updated_at" = n.created_at FROM (
  SELECT chamber_id, id, row_number() OVER w AS rn, count(*) OVER (PARTITION BY chamber_id, user_id, conversation_id) AS n
    FROM "notifications" WHERE read_at IS NULL
  WINDOW w AS (PARTITION BY chamber_id, user_id, conversation_id ORDER BY seq DESC)) r
 WHERE r.chamber_id = n.chamber_id AND r.id = n.id AND r.rn = 1;--> statement-breakpoint
UPDATE "notifications" n SET "read_at" = now() FROM (
  SELECT chamber_id, id, row_number() OVER (PARTITION BY chamber_id, user_id, conversation_id ORDER BY seq DESC) AS rn
    FROM "notifications" WHERE read_at IS NULL) r
 WHERE r.chamber_id = n.chamber_id AND r.id = n.id AND r.rn > 1;--> statement-breakpoint
ALTER TABLE "live_events" ADD CONSTRAINT "live_events_chamber_id_chambers_id_fk" FOREIGN KEY ("chamber_id") REFERENCES "public"."chambers"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "topics" ADD CONSTRAINT "topics_chamber_id_chambers_id_fk" FOREIGN KEY ("chamber_id") REFERENCES "public"."chambers"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "topics" ADD CONSTRAINT "topics_role_fk" FOREIGN KEY ("chamber_id","role_id") REFERENCES "public"."roles"("chamber_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "live_events_chamber_seq_idx" ON "live_events" USING btree ("chamber_id","seq");--> statement-breakpoint
CREATE UNIQUE INDEX "topics_name_unique" ON "topics" USING btree ("chamber_id",lower("name")) WHERE "topics"."deleted_at" is null;--> statement-breakpoint
ALTER TABLE "conversations" ADD CONSTRAINT "conversations_topic_fk" FOREIGN KEY ("chamber_id","topic_id") REFERENCES "public"."topics"("chamber_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "conversations" ADD CONSTRAINT "conversations_assignee_fk" FOREIGN KEY ("chamber_id","assignee_user_id") REFERENCES "public"."users"("chamber_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "conversations_team_inbox_idx" ON "conversations" USING btree ("chamber_id","status",(not "red_flag"),coalesce("reply_by", 'infinity'::timestamptz),(-"last_seq"));--> statement-breakpoint
CREATE INDEX "conversations_assignee_idx" ON "conversations" USING btree ("chamber_id","assignee_user_id") WHERE "conversations"."assignee_user_id" is not null;--> statement-breakpoint
CREATE INDEX "conversations_staff_roles_idx" ON "conversations" USING gin ("staff_role_ids");--> statement-breakpoint
CREATE UNIQUE INDEX "notifications_unread_conversation_unique" ON "notifications" USING btree ("chamber_id","user_id","conversation_id") WHERE "notifications"."read_at" is null and "notifications"."kind" in ('patient_message', 'staff_message');--> statement-breakpoint
ALTER TABLE "conversations" ADD CONSTRAINT "conversations_subject_length" CHECK (char_length("conversations"."subject") between 1 and 120);--> statement-breakpoint
ALTER TABLE "conversations" ADD CONSTRAINT "conversations_status_values" CHECK ("conversations"."status" in ('open', 'closed'));