/// Migration 11's step on PostgreSQL: the logs are appended at `COMMIT` (``ChangeTable``).
///
/// - `pending_changes` holds a transaction's changes until it commits. It is `UNLOGGED`: its rows
///   are inserted and deleted inside one transaction, so no committed row is ever lost with it.
/// - `tollgate_append_changes()` runs as a deferred constraint trigger, once per pending row while
///   the transaction commits. The first run for an account locks the account's row, chains every
///   pending change of the account in order (the entry's hash is SHA-256 of
///   ``AuditChain/canonicalText(around:)`` with the sequence and the previous hash put in, each as
///   a length-prefixed field), inserts the entries and the events, moves the row's sequences and
///   head, and deletes the pending rows; the later runs find their row gone (one probe of its key,
///   not a scan: a batch of 500 changes would otherwise look through the 500 deleted rows 500
///   times) and return.
///
/// Other transactions never see the pending rows (they are uncommitted until deleted), so the
/// account's lock is taken only here, in the commit.
enum PendingChangesMigration {
    static func run(_ sql: any SQLExecutor, now: Int64) async throws {
        guard sql.dialect == .postgresql else { return }
        try await sql.execute(
            """
            CREATE UNLOGGED TABLE pending_changes (
              ordinal BIGINT GENERATED ALWAYS AS IDENTITY, account_id TEXT NOT NULL, id TEXT NOT NULL, actor TEXT NOT NULL,
              action TEXT NOT NULL, object_type TEXT NOT NULL, object_id TEXT NOT NULL, before_digest TEXT, after_digest TEXT,
              occurred_at BIGINT NOT NULL, text_head TEXT NOT NULL, text_middle TEXT NOT NULL, event_id TEXT, event_data TEXT,
              PRIMARY KEY (account_id, ordinal))
            """, [])
        try await sql.execute(
            """
            CREATE FUNCTION tollgate_append_changes() RETURNS trigger LANGUAGE plpgsql AS $body$
            DECLARE
              change pending_changes%ROWTYPE;
              audit_at BIGINT;
              event_at BIGINT;
              head TEXT;
              digest TEXT;
            BEGIN
              -- Appended already by an earlier run for this account (one probe of the key).
              IF NOT EXISTS (SELECT 1 FROM pending_changes p WHERE p.account_id = NEW.account_id AND p.ordinal = NEW.ordinal) THEN
                RETURN NULL;
              END IF;
              SELECT a.audit_sequence, a.event_sequence, a.audit_head INTO audit_at, event_at, head
                FROM accounts a WHERE a.id = NEW.account_id FOR UPDATE;
              IF NOT FOUND THEN
                RAISE EXCEPTION 'account % does not exist: its changes cannot be logged', NEW.account_id;
              END IF;
              FOR change IN SELECT * FROM pending_changes p WHERE p.account_id = NEW.account_id ORDER BY p.ordinal LOOP
                audit_at := audit_at + 1;
                digest := encode(sha256(convert_to(
                  change.text_head || octet_length(audit_at::text) || ':' || audit_at::text
                    || change.text_middle || octet_length(head) || ':' || head, 'UTF8')), 'hex');
                INSERT INTO audit_events (account_id, sequence, id, actor, action, object_type, object_id, before_digest,
                  after_digest, occurred_at, previous_hash, hash)
                VALUES (change.account_id, audit_at, change.id, change.actor, change.action, change.object_type, change.object_id,
                  change.before_digest, change.after_digest, change.occurred_at, head, digest);
                head := digest;
                IF change.event_id IS NOT NULL THEN
                  event_at := event_at + 1;
                  INSERT INTO events (account_id, sequence, id, type, object_type, object_id, actor, data, occurred_at)
                  VALUES (change.account_id, event_at, change.event_id, change.action, change.object_type, change.object_id,
                    change.actor, change.event_data, change.occurred_at);
                END IF;
              END LOOP;
              UPDATE accounts SET audit_sequence = audit_at, event_sequence = event_at, audit_head = head WHERE id = NEW.account_id;
              DELETE FROM pending_changes p WHERE p.account_id = NEW.account_id;
              RETURN NULL;
            END
            $body$
            """, [])
        try await sql.execute(
            """
            CREATE CONSTRAINT TRIGGER pending_changes_append AFTER INSERT ON pending_changes
              DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION tollgate_append_changes()
            """, [])
    }
}
