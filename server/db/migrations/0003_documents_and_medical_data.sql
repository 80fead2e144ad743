CREATE TABLE "documents" (
	"chamber_id" uuid NOT NULL,
	"id" uuid NOT NULL,
	"patient_id" uuid NOT NULL,
	"title" text NOT NULL,
	"content_type" text NOT NULL,
	"extension" text NOT NULL,
	"size_bytes" integer NOT NULL,
	"sha256" text NOT NULL,
	"shared_with_patient" boolean NOT NULL,
	"uploaded_by_kind" text NOT NULL,
	"uploaded_by_user_id" uuid,
	"created_at" timestamp with time zone NOT NULL,
	"shared_at" timestamp with time zone,
	CONSTRAINT "documents_pk" PRIMARY KEY("chamber_id","id"),
	CONSTRAINT "documents_title_length" CHECK (char_length("documents"."title") between 1 and 200),
	CONSTRAINT "documents_size" CHECK ("documents"."size_bytes" > 0)
);
--> statement-breakpoint
CREATE TABLE "medical_items" (
	"chamber_id" uuid NOT NULL,
	"id" uuid NOT NULL,
	"patient_id" uuid NOT NULL,
	"kind" text NOT NULL,
	"title" text NOT NULL,
	"item_date" date NOT NULL,
	"body" text,
	"document_id" uuid,
	"shared_with_patient" boolean NOT NULL,
	"created_by_user_id" uuid NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"shared_at" timestamp with time zone,
	CONSTRAINT "medical_items_pk" PRIMARY KEY("chamber_id","id"),
	CONSTRAINT "medical_items_kind_values" CHECK ("medical_items"."kind" in ('result', 'letter')),
	CONSTRAINT "medical_items_title_length" CHECK (char_length("medical_items"."title") between 1 and 200),
	CONSTRAINT "medical_items_body_length" CHECK ("medical_items"."body" is null or char_length("medical_items"."body") <= 20000),
	CONSTRAINT "medical_items_content" CHECK ("medical_items"."body" is not null or "medical_items"."document_id" is not null)
);
--> statement-breakpoint
ALTER TABLE "documents" ADD CONSTRAINT "documents_patient_fk" FOREIGN KEY ("chamber_id","patient_id") REFERENCES "public"."patients"("chamber_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "documents" ADD CONSTRAINT "documents_uploaded_by_fk" FOREIGN KEY ("chamber_id","uploaded_by_user_id") REFERENCES "public"."users"("chamber_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "medical_items" ADD CONSTRAINT "medical_items_patient_fk" FOREIGN KEY ("chamber_id","patient_id") REFERENCES "public"."patients"("chamber_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "medical_items" ADD CONSTRAINT "medical_items_document_fk" FOREIGN KEY ("chamber_id","document_id") REFERENCES "public"."documents"("chamber_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "medical_items" ADD CONSTRAINT "medical_items_created_by_fk" FOREIGN KEY ("chamber_id","created_by_user_id") REFERENCES "public"."users"("chamber_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "documents_patient_idx" ON "documents" USING btree ("chamber_id","patient_id","created_at");--> statement-breakpoint
CREATE INDEX "medical_items_patient_idx" ON "medical_items" USING btree ("chamber_id","patient_id","item_date");