-- Rule 4's roles of a message move onto the message itself: one array read with the row
-- instead of a look-up per message in message_roles (the inbox's unread counts made 475 of
-- them per page). The roles of every existing message are carried over before the table goes.
ALTER TABLE "messages" ADD COLUMN "role_ids" uuid[] DEFAULT '{}'::uuid[] NOT NULL;--> statement-breakpoint
UPDATE "messages" m SET "role_ids" = mr.ids
  FROM (SELECT chamber_id, message_id, array_agg(role_id ORDER BY role_id) AS ids
          FROM "message_roles" GROUP BY chamber_id, message_id) mr
 WHERE m.chamber_id = mr.chamber_id AND m.id = mr.message_id;--> statement-breakpoint
DROP TABLE "message_roles" CASCADE;
