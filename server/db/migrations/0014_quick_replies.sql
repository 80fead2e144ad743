CREATE TABLE "quick_replies" (
	"chamber_id" uuid NOT NULL,
	"id" uuid NOT NULL,
	"name" text NOT NULL,
	"text" text NOT NULL,
	"role_ids" uuid[] DEFAULT '{}'::uuid[] NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	CONSTRAINT "quick_replies_pk" PRIMARY KEY("chamber_id","id"),
	CONSTRAINT "quick_replies_name_length" CHECK (char_length("quick_replies"."name") between 1 and 100),
	CONSTRAINT "quick_replies_text_length" CHECK (char_length("quick_replies"."text") between 1 and 5000)
);
--> statement-breakpoint
ALTER TABLE "quick_replies" ADD CONSTRAINT "quick_replies_chamber_id_chambers_id_fk" FOREIGN KEY ("chamber_id") REFERENCES "public"."chambers"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "quick_replies_name_unique" ON "quick_replies" USING btree ("chamber_id",lower("name"));