-- Audit rows form one hash chain per chamber, so a row changed, removed or slipped in behind
-- the product's back (by someone who can switch the append-only trigger off) is detected:
--   hash = sha256(prev_hash || audit_event_canonical(row)), prev_hash = hash of the chamber's
--   previous row (32 zero bytes for its first row), rows ordered by chain_seq (1, 2, 3, ...).
-- The database computes it in a BEFORE INSERT trigger, so every writer is chained, raw SQL too.
-- `npm run audit:verify` (server/cli/verify-audit.ts) recomputes the chain.

-- The chain of a chamber starts from this value.
CREATE FUNCTION audit_chain_genesis() RETURNS bytea
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT decode(repeat('00', 32), 'hex') $$;
--> statement-breakpoint

-- One field of the canonical text: '~' for NULL, else its length in characters, ':' and the
-- text. No field can run into the next, and NULL differs from ''.
CREATE FUNCTION audit_chain_field(v text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN v IS NULL THEN '~' ELSE char_length(v)::text || ':' || v END
$$;
--> statement-breakpoint

-- The bytes of a row that its hash covers: every column but the chain's own hashes, each as
-- text that no session setting changes (TimeZone, DateStyle, IntervalStyle, extra_float_digits):
-- `at` as microseconds since 1970-01-01 UTC, uuid/inet/bigint in their only text form, details
-- as jsonb's normalised text. A column added to audit_events later must be added here under a
-- new version tag (rows written before keep 'audit_events/1'). Declared STABLE, as extract() on
-- a timestamptz is, so that PostgreSQL can inline it into a query: about 5 times faster than
-- calling it row by row when a whole chain is verified.
CREATE FUNCTION audit_event_canonical(e audit_events) RETURNS bytea
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT convert_to(
    audit_chain_field('audit_events/1')
    || audit_chain_field(e.chamber_id::text)
    || audit_chain_field(e.id::text)
    || audit_chain_field(e.chain_seq::text)
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

-- Chains a new row onto its chamber's latest one.
--
-- Order: the chain runs in chain_seq order, not id order. The id default (an identity
-- sequence) is evaluated before BEFORE triggers run, so two transactions of one chamber can
-- draw ids 10 and 11 and then take the lock below in the other order: chaining by id would
-- break. chain_seq is assigned here, under the lock, as the latest row's + 1, so it follows
-- lock order, which is the chain's order.
--
-- Visibility: the lock is held until the transaction ends, and PostgreSQL makes a
-- transaction's commit visible before it releases its locks. The SELECT below runs after the
-- lock is granted and, in a READ COMMITTED transaction, takes a fresh snapshot (this function
-- is VOLATILE), so it sees the previous holder's row. Rows inserted earlier by the same
-- statement (a multi-row INSERT) are visible too. If a REPEATABLE READ transaction ever read
-- a stale latest row, the unique index on (chamber_id, chain_seq) refuses the second row with
-- that chain_seq: a fork becomes an error, never a silent branch.
--
-- Lock key: the two-int form pg_advisory_xact_lock(int, int), namespace 1635083380 ('audt'),
-- lives in a different key space from the one-bigint form that messages take for their
-- per-chamber seq (messaging.repository.ts), so the two never wait for each other by accident.
-- Audit rows are written last in the product's transactions, so the lock is held briefly and
-- taken after any other lock of the transaction (no lock-order cycles).
CREATE FUNCTION audit_events_chain() RETURNS trigger
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  last_seq bigint;
  last_hash bytea;
BEGIN
  PERFORM pg_advisory_xact_lock(1635083380, hashtext(NEW.chamber_id::text));
  SELECT e.chain_seq, e.hash INTO last_seq, last_hash
    FROM audit_events e
   WHERE e.chamber_id = NEW.chamber_id
   ORDER BY e.chain_seq DESC
   LIMIT 1;
  IF NOT FOUND THEN
    last_seq := 0;
    last_hash := audit_chain_genesis();
  END IF;
  NEW.chain_seq := last_seq + 1;
  NEW.prev_hash := last_hash;
  NEW.hash := sha256(last_hash || audit_event_canonical(NEW));
  RETURN NEW;
END;
$$;
--> statement-breakpoint

-- Rows written before this migration are chained in id order per chamber, the only order
-- they have. The append-only trigger is off for this one transaction (a failed migration rolls
-- the switch back too).
ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_update_delete;
--> statement-breakpoint
DO $$
DECLARE
  r audit_events;
  chamber uuid;
  seq bigint;
  prev bytea;
BEGIN
  FOR r IN SELECT * FROM audit_events ORDER BY chamber_id, id LOOP
    IF chamber IS DISTINCT FROM r.chamber_id THEN
      chamber := r.chamber_id;
      seq := 0;
      prev := audit_chain_genesis();
    END IF;
    seq := seq + 1;
    r.chain_seq := seq;
    r.prev_hash := prev;
    r.hash := sha256(prev || audit_event_canonical(r));
    UPDATE audit_events
       SET chain_seq = r.chain_seq, prev_hash = r.prev_hash, hash = r.hash
     WHERE chamber_id = r.chamber_id AND id = r.id;
    prev := r.hash;
  END LOOP;
END;
$$;
--> statement-breakpoint
ALTER TABLE audit_events ENABLE TRIGGER audit_events_no_update_delete;
--> statement-breakpoint

CREATE TRIGGER audit_events_chain
  BEFORE INSERT ON audit_events
  FOR EACH ROW EXECUTE FUNCTION audit_events_chain();
