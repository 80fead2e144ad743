-- Access changes as live events (issue 18). Before handing events to its streams, the live-event
-- hub of each web process checked every open stream's session again (still signed in, still
-- active, the roles held now: rule 4): one statement of about 10 ms for 1,000 streams, twice for
-- every message. Now each write that can change what an open stream may hear logs an
-- 'access.changed' event in its own transaction, and the hub checks the sessions again only when
-- it reads one (or a new stream joined, or a session may have expired or gone idle by now).
-- Triggers write them, so no code path that changes access can forget to. The event is read in
-- the same (xid, seq) order as the others (0019): a message written after the change is never
-- handed out before the hub has seen it. No stream hears the event itself (it names no one).
CREATE FUNCTION live_events_access_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO live_events (chamber_id, kind, created_at)
  SELECT DISTINCT c.chamber_id, 'access.changed', now() FROM changed c;
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE FUNCTION live_events_access_changed_row() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO live_events (chamber_id, kind, created_at) VALUES (NEW.chamber_id, 'access.changed', now());
  RETURN NULL;
END;
$$;
--> statement-breakpoint
-- Sessions: signed out (one or everywhere), swept, or pointed at another patient (rule 18).
CREATE TRIGGER sessions_access_deleted AFTER DELETE ON sessions
  REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION live_events_access_changed();
--> statement-breakpoint
CREATE TRIGGER sessions_access_updated AFTER UPDATE OF kind, user_id, account_id, patient_id, expires_at ON sessions
  FOR EACH ROW
  WHEN ((OLD.kind, OLD.user_id, OLD.account_id, OLD.patient_id, OLD.expires_at)
        IS DISTINCT FROM (NEW.kind, NEW.user_id, NEW.account_id, NEW.patient_id, NEW.expires_at))
  EXECUTE FUNCTION live_events_access_changed_row();
--> statement-breakpoint
-- Staff users made inactive (or active again), or removed.
CREATE TRIGGER users_access_updated AFTER UPDATE OF active ON users
  FOR EACH ROW WHEN (OLD.active IS DISTINCT FROM NEW.active)
  EXECUTE FUNCTION live_events_access_changed_row();
--> statement-breakpoint
CREATE TRIGGER users_access_deleted AFTER DELETE ON users
  REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION live_events_access_changed();
--> statement-breakpoint
-- Role membership, and roles deleted.
CREATE TRIGGER role_members_access_inserted AFTER INSERT ON role_members
  REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION live_events_access_changed();
--> statement-breakpoint
CREATE TRIGGER role_members_access_updated AFTER UPDATE ON role_members
  REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION live_events_access_changed();
--> statement-breakpoint
CREATE TRIGGER role_members_access_deleted AFTER DELETE ON role_members
  REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION live_events_access_changed();
--> statement-breakpoint
CREATE TRIGGER roles_access_updated AFTER UPDATE OF deleted_at ON roles
  FOR EACH ROW WHEN (OLD.deleted_at IS DISTINCT FROM NEW.deleted_at)
  EXECUTE FUNCTION live_events_access_changed_row();
--> statement-breakpoint
CREATE TRIGGER roles_access_deleted AFTER DELETE ON roles
  REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION live_events_access_changed();
--> statement-breakpoint
-- Whom a portal account is (its own record) and whom it may act for (rule 18).
CREATE TRIGGER portal_accounts_access_updated AFTER UPDATE OF patient_id ON portal_accounts
  FOR EACH ROW WHEN (OLD.patient_id IS DISTINCT FROM NEW.patient_id)
  EXECUTE FUNCTION live_events_access_changed_row();
--> statement-breakpoint
CREATE TRIGGER portal_accounts_access_deleted AFTER DELETE ON portal_accounts
  REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION live_events_access_changed();
--> statement-breakpoint
CREATE TRIGGER patient_proxies_access_inserted AFTER INSERT ON patient_proxies
  REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION live_events_access_changed();
--> statement-breakpoint
CREATE TRIGGER patient_proxies_access_updated AFTER UPDATE ON patient_proxies
  FOR EACH ROW
  WHEN ((OLD.patient_id, OLD.account_id, OLD.ends_on, OLD.ended_at)
        IS DISTINCT FROM (NEW.patient_id, NEW.account_id, NEW.ends_on, NEW.ended_at))
  EXECUTE FUNCTION live_events_access_changed_row();
--> statement-breakpoint
CREATE TRIGGER patient_proxies_access_deleted AFTER DELETE ON patient_proxies
  REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION live_events_access_changed();
