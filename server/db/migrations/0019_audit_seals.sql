-- The audit hash chain moves off the request path (issue 18). Until now a BEFORE INSERT trigger
-- chained every audit row under a per-chamber advisory lock held until the transaction ended, so
-- every audited request of a clinic, reads included, waited for the one before it to commit.
-- Now a request only inserts its row; the sealer (the worker) chains committed rows afterwards,
-- in batches, writing one link per row into audit_seals (insert-only). The hashes are the same
-- as before: a link of number chain_seq for row e hashes sha256(prev_hash ||
-- audit_event_canonical(e, chain_seq)), and the canonical text is byte for byte the one of
-- migration 0007, so the chains written so far move into audit_seals unchanged.
--
-- Which rows a run may seal: each audit row records the transaction that wrote it (xid). A run
-- seals rows whose xid is below write_horizon(), the oldest transaction of this database still
-- open: no transaction that could still add a row below it is running, so every row below the
-- horizon is committed (or was rolled back) and no later row can appear there. audit_seal_runs
-- records each run's horizon; every row below the newest horizon is sealed, so a row there
-- without a link was slipped in behind the sealer's back.
CREATE TABLE "audit_seal_runs" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "audit_seal_runs_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"horizon" "xid8" NOT NULL,
	"rows" integer NOT NULL,
	"sealed_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "audit_seals" (
	"chamber_id" uuid NOT NULL,
	"chain_seq" bigint NOT NULL,
	"audit_event_id" bigint NOT NULL,
	"prev_hash" "bytea" NOT NULL,
	"hash" "bytea" NOT NULL,
	"sealed_at" timestamp with time zone NOT NULL,
	CONSTRAINT "audit_seals_pk" PRIMARY KEY("chamber_id","chain_seq")
);
--> statement-breakpoint
ALTER TABLE "audit_seals" ADD CONSTRAINT "audit_seals_chamber_id_chambers_id_fk" FOREIGN KEY ("chamber_id") REFERENCES "public"."chambers"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "audit_seal_runs_horizon_idx" ON "audit_seal_runs" USING btree ("horizon");--> statement-breakpoint
CREATE UNIQUE INDEX "audit_seals_event_unique" ON "audit_seals" USING btree ("chamber_id","audit_event_id");--> statement-breakpoint

-- The chains written so far, link for link.
INSERT INTO "audit_seals" ("chamber_id", "chain_seq", "audit_event_id", "prev_hash", "hash", "sealed_at")
SELECT "chamber_id", "chain_seq", "id", "prev_hash", "hash", now() FROM "audit_events";
--> statement-breakpoint

-- The trigger and its lock go; the canonical text takes the link's number as an argument.
DROP TRIGGER "audit_events_chain" ON "audit_events";--> statement-breakpoint
DROP FUNCTION audit_events_chain();--> statement-breakpoint
DROP FUNCTION audit_event_canonical(audit_events);--> statement-breakpoint
DROP INDEX "audit_events_chain_unique";--> statement-breakpoint
ALTER TABLE "audit_events" DROP COLUMN "chain_seq";--> statement-breakpoint
ALTER TABLE "audit_events" DROP COLUMN "prev_hash";--> statement-breakpoint
ALTER TABLE "audit_events" DROP COLUMN "hash";--> statement-breakpoint
-- Every row written so far gets this migration's transaction id, below the first run's horizon.
ALTER TABLE "audit_events" ADD COLUMN "xid" "xid8" DEFAULT pg_current_xact_id() NOT NULL;--> statement-breakpoint
CREATE INDEX "audit_events_xid_idx" ON "audit_events" USING btree ("xid");--> statement-breakpoint
INSERT INTO "audit_seal_runs" ("horizon", "rows", "sealed_at")
SELECT (pg_current_xact_id()::text::bigint + 1)::text::xid8, count(*), now() FROM "audit_seals";
--> statement-breakpoint

-- The bytes of a row that its link's hash covers: exactly migration 0007's text, with the
-- link's number in place of the column that held it. A column added to audit_events later must
-- be added here under a new version tag (rows written before keep 'audit_events/1'). STABLE, so
-- that PostgreSQL can inline it into the verifying query.
CREATE FUNCTION audit_event_canonical(e audit_events, chain_seq bigint) RETURNS bytea
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT convert_to(
    audit_chain_field('audit_events/1')
    || audit_chain_field(e.chamber_id::text)
    || audit_chain_field(e.id::text)
    || audit_chain_field(chain_seq::text)
    || audit_chain_field(CASE WHEN isfinite(e.at)
                              THEN (extract(epoch FROM e.at) * 1000000)::bigint::text
                              ELSE e.at::text END)
    || audit_chain_field(e.action)
    || audit_chain_field(e.actor_kind)
    || audit_chain_field(e.actor_user_id::text)
    || audit_chain_field(e.actor_patient_id::text)
    || audit_chain_field(e.actor_label)
    || audit_chain_field(e.patient_id::text)
    || audit_chain_field(e.subject_type)
    || audit_chain_field(e.subject_id)
    || audit_chain_field(e.ip::text)
    || audit_chain_field(e.details::text),
    'UTF8')
$$;
--> statement-breakpoint

-- The write horizon: the oldest transaction of this database that may still be writing. Every
-- row written by an older transaction is committed (or was rolled back) and visible to the
-- calling statement, and no transaction can still write one below it. It is the statement
-- snapshot's oldest running transaction, except that transactions known to belong to other
-- databases of the cluster (pg_stat_get_activity, when the role may read it: pg_read_all_stats)
-- do not hold it back; a transaction it cannot place counts, to be safe.
CREATE FUNCTION write_horizon() RETURNS xid8
LANGUAGE sql STABLE AS $$
  SELECT coalesce(min(x), pg_snapshot_xmax(pg_current_snapshot()))
    FROM pg_snapshot_xip(pg_current_snapshot()) AS x
   WHERE (x::text::bigint % 4294967296) NOT IN (
     SELECT s.backend_xid::text::bigint
       FROM pg_stat_get_activity(NULL) AS s
      WHERE s.backend_xid IS NOT NULL
        AND s.datid <> (SELECT d.oid FROM pg_database d WHERE d.datname = current_database()))
$$;
--> statement-breakpoint

-- One run of the sealer: links up to max_rows committed rows below the horizon onto their
-- chambers' chains, in (xid, id) order, and records the run. Runs one at a time (a second
-- caller returns 0 at once): the lock is the sealer's alone, never a request's. Returns the
-- number of rows sealed; max_rows of them means more are waiting.
CREATE FUNCTION audit_seal(max_rows integer) RETURNS integer
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  horizon xid8 := write_horizon();
  since xid8;
  r audit_events;
  last_seq bigint;
  last_hash bytea;
  link_hash bytea;
  n integer := 0;
BEGIN
  IF NOT pg_try_advisory_xact_lock(1635083380, 0) THEN
    RETURN 0;
  END IF;
  SELECT coalesce(max(s.horizon), '1'::xid8) INTO since FROM audit_seal_runs s;
  FOR r IN
    SELECT e.* FROM audit_events e
     WHERE e.xid >= since AND e.xid < horizon
       AND NOT EXISTS (SELECT 1 FROM audit_seals s
                        WHERE s.chamber_id = e.chamber_id AND s.audit_event_id = e.id)
     ORDER BY e.xid, e.id
     LIMIT max_rows + 1
  LOOP
    IF n = max_rows THEN
      -- Cut here: every row of an older transaction than this one is sealed.
      horizon := r.xid;
      EXIT;
    END IF;
    SELECT s.chain_seq, s.hash INTO last_seq, last_hash
      FROM audit_seals s WHERE s.chamber_id = r.chamber_id
     ORDER BY s.chain_seq DESC LIMIT 1;
    IF NOT FOUND THEN
      last_seq := 0;
      last_hash := audit_chain_genesis();
    END IF;
    link_hash := sha256(last_hash || audit_event_canonical(r, last_seq + 1));
    INSERT INTO audit_seals (chamber_id, chain_seq, audit_event_id, prev_hash, hash, sealed_at)
    VALUES (r.chamber_id, last_seq + 1, r.id, last_hash, link_hash, now());
    n := n + 1;
  END LOOP;
  IF n > 0 THEN
    INSERT INTO audit_seal_runs (horizon, rows, sealed_at) VALUES (horizon, n, now());
  END IF;
  RETURN n;
END;
$$;
--> statement-breakpoint

-- Links and runs are append-only, as audit rows are.
CREATE FUNCTION audit_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
    USING ERRCODE = 'insufficient_privilege';
END;
$$;
--> statement-breakpoint
CREATE TRIGGER audit_seals_no_update_delete
  BEFORE UPDATE OR DELETE ON audit_seals
  FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();
--> statement-breakpoint
CREATE TRIGGER audit_seals_no_truncate
  BEFORE TRUNCATE ON audit_seals
  FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();
--> statement-breakpoint
CREATE TRIGGER audit_seal_runs_no_update_delete
  BEFORE UPDATE OR DELETE ON audit_seal_runs
  FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();
--> statement-breakpoint
CREATE TRIGGER audit_seal_runs_no_truncate
  BEFORE TRUNCATE ON audit_seal_runs
  FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();
--> statement-breakpoint

-- Live events are read in (xid, seq) order, only below the same kind of horizon, so the events
-- of one chamber no longer need a lock held until commit to come out in order (event.repository.ts).
ALTER TABLE "live_events" ADD COLUMN "xid" "xid8" DEFAULT pg_current_xact_id() NOT NULL;--> statement-breakpoint
CREATE INDEX "live_events_chamber_xid_idx" ON "live_events" USING btree ("chamber_id","xid","seq");
