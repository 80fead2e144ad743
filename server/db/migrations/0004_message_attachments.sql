CREATE TABLE "message_attachments" (
	"chamber_id" uuid NOT NULL,
	"message_id" uuid NOT NULL,
	"document_id" uuid NOT NULL,
	CONSTRAINT "message_attachments_pk" PRIMARY KEY("chamber_id","message_id","document_id")
);
--> statement-breakpoint
ALTER TABLE "chambers" ADD COLUMN "patient_attachments_enabled" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "message_attachments" ADD CONSTRAINT "message_attachments_message_fk" FOREIGN KEY ("chamber_id","message_id") REFERENCES "public"."messages"("chamber_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "message_attachments" ADD CONSTRAINT "message_attachments_document_fk" FOREIGN KEY ("chamber_id","document_id") REFERENCES "public"."documents"("chamber_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "message_attachments_document_unique" ON "message_attachments" USING btree ("chamber_id","document_id");