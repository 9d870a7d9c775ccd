/// Migrations 17's and 21's step on PostgreSQL: `tollgate_insert_machine`, an activation's write
/// in one statement (``Store/insertMachine(_:change:ifStill:seatLimit:)``). Migration 21 runs it
/// again to replace 17's function, which staged the change for the commit's trigger.
///
/// The function takes the license's locks (those of ``WriteLock/license(account:license:)``),
/// then checks, in a statement after the locks' and so on what committed before it had them
/// (`READ COMMITTED` gives every statement of a volatile function a fresh snapshot), that the
/// license and its policy are still the documents the caller planned with, that no active machine
/// of the license has the fingerprint, and that fewer than `a_seat_limit` machines take seats.
/// Only then does it lock the account's row, chain the change onto the account's audit trail and
/// event log as ``PendingChangesMigration``'s trigger would, and insert the machine, the entry and
/// the event in one statement; then it announces the commit to the other replicas. Statements are
/// merged where they can be because each statement of a function costs PostgreSQL an executor
/// start (measured: `perf`, the function was a quarter of PostgreSQL's time per activation). It
/// answers `inserted`, or what stopped it: `changed`, `taken` or `full`; the caller then runs the
/// activation's transaction, which says why with its own checks.
///
/// One statement outside a transaction is one round trip; the same write as a transaction is five
/// (`BEGIN`, the locks, the reads, the insert, `COMMIT`): measured in BENCHMARKS.md.
enum GuardedMachineInsertMigration {
    static func run(_ sql: any SQLExecutor, now: Int64) async throws {
        guard sql.dialect == .postgresql else { return }
        try await sql.execute(
            """
            CREATE OR REPLACE FUNCTION tollgate_insert_machine(
              a_database_key BIGINT, a_account_key BIGINT, a_license_key BIGINT, a_channel TEXT, a_account TEXT, a_license TEXT,
              a_license_data TEXT, a_policy_data TEXT, a_fingerprint TEXT, a_seat_limit BIGINT, a_machine JSONB, a_change JSONB
            ) RETURNS TEXT LANGUAGE plpgsql VOLATILE AS $body$
            DECLARE
              unchanged BOOLEAN;
              taken BOOLEAN;
              seats BIGINT;
              change pending_changes%ROWTYPE;
              audit_at BIGINT;
              event_at BIGINT;
              head TEXT;
              digest TEXT;
            BEGIN
              PERFORM pg_advisory_xact_lock_shared(a_database_key), pg_advisory_xact_lock_shared(a_account_key),
                pg_advisory_xact_lock(a_license_key);
              -- A statement after the locks': what committed before it has the locks.
              SELECT
                EXISTS (
                  SELECT 1 FROM licenses l LEFT JOIN policies p ON p.id = l.policy_id AND p.account_id = l.account_id
                  WHERE l.id = a_license AND l.account_id = a_account AND l.data = a_license_data
                    AND p.data IS NOT DISTINCT FROM a_policy_data),
                EXISTS (SELECT 1 FROM machines m WHERE m.license_id = a_license AND m.fingerprint = a_fingerprint AND m.state = 'active'),
                CASE WHEN a_seat_limit IS NULL THEN 0 ELSE (
                  SELECT COUNT(*) FROM machines m WHERE m.license_id = a_license AND m.state = 'active' AND m.draining_until IS NULL) END
              INTO unchanged, taken, seats;
              IF NOT unchanged THEN
                RETURN 'changed';
              ELSIF taken THEN
                RETURN 'taken';
              ELSIF seats >= a_seat_limit THEN
                RETURN 'full';
              END IF;
              -- The change is chained here rather than staged for the commit's trigger
              -- (PendingChangesMigration): with one change the trigger's seven statements are
              -- two, the account's row read under its lock and one statement that writes the
              -- machine, the audit entry, the event and the account's head (measured in
              -- BENCHMARKS.md). The account's row stays locked to the commit, which is this
              -- statement's own.
              change := jsonb_populate_record(NULL::pending_changes, a_change);
              SELECT a.audit_sequence + 1, a.event_sequence + 1, a.audit_head INTO audit_at, event_at, head
                FROM accounts a WHERE a.id = a_account FOR UPDATE;
              IF NOT FOUND THEN
                RAISE EXCEPTION 'account % does not exist: its changes cannot be logged', a_account;
              END IF;
              IF change.event_id IS NULL THEN
                event_at := event_at - 1;
              END IF;
              digest := encode(sha256(convert_to(
                change.text_head || octet_length(audit_at::text) || ':' || audit_at::text
                  || change.text_middle || octet_length(head) || ':' || head, 'UTF8')), 'hex');
              WITH machine AS (INSERT INTO machines SELECT * FROM jsonb_populate_record(NULL::machines, a_machine)),
                audit AS (
                  INSERT INTO audit_events (account_id, sequence, id, actor, action, object_type, object_id, before_digest,
                    after_digest, occurred_at, previous_hash, hash)
                  VALUES (a_account, audit_at, change.id, change.actor, change.action, change.object_type, change.object_id,
                    change.before_digest, change.after_digest, change.occurred_at, head, digest)),
                event AS (
                  INSERT INTO events (account_id, sequence, id, type, object_type, object_id, actor, data, occurred_at)
                  SELECT a_account, event_at, change.event_id, change.action, change.object_type, change.object_id,
                    change.actor, change.event_data, change.occurred_at
                  WHERE change.event_id IS NOT NULL)
              UPDATE accounts SET audit_sequence = audit_at, event_sequence = event_at, audit_head = digest WHERE id = a_account;
              PERFORM pg_notify(a_channel, a_account);
              RETURN 'inserted';
            END
            $body$
            """, [])
    }
}
