/// Migration 17's step on PostgreSQL: `tollgate_insert_machine`, an activation's write in one
/// statement (``Store/insertMachine(_:change:ifStill:seatLimit:)``).
///
/// The function takes the license's locks (those of ``WriteLock/license(account:license:)``),
/// then checks, in a statement after the locks' and so on what committed before it had them
/// (`READ COMMITTED` gives every statement of a volatile function a fresh snapshot), that the
/// license and its policy are still the documents the caller planned with, that no active machine
/// of the license has the fingerprint, and that fewer than `a_seat_limit` machines take seats.
/// Only then does it insert the machine and stage its change (``ChangeTable``) in one statement,
/// and announce the commit to the other replicas. The checks and the inserts are one statement
/// each because each statement of a function costs PostgreSQL an executor start (measured:
/// `perf`, the function was a quarter of PostgreSQL's time per activation). It answers `inserted`, or what stopped it: `changed`, `taken` or
/// `full`; the caller then runs the activation's transaction, which says why with its own checks.
///
/// One statement outside a transaction is one round trip; the same write as a transaction is five
/// (`BEGIN`, the locks, the reads, the insert, `COMMIT`): measured in BENCHMARKS.md.
enum GuardedMachineInsertMigration {
    static func run(_ sql: any SQLExecutor, now: Int64) async throws {
        guard sql.dialect == .postgresql else { return }
        try await sql.execute(
            """
            CREATE FUNCTION tollgate_insert_machine(
              a_database_key BIGINT, a_account_key BIGINT, a_license_key BIGINT, a_channel TEXT, a_account TEXT, a_license TEXT,
              a_license_data TEXT, a_policy_data TEXT, a_fingerprint TEXT, a_seat_limit BIGINT, a_machine JSONB, a_change JSONB
            ) RETURNS TEXT LANGUAGE plpgsql VOLATILE AS $body$
            DECLARE
              unchanged BOOLEAN;
              taken BOOLEAN;
              seats BIGINT;
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
              WITH machine AS (INSERT INTO machines SELECT * FROM jsonb_populate_record(NULL::machines, a_machine))
              INSERT INTO pending_changes (account_id, id, actor, action, object_type, object_id, before_digest, after_digest,
                occurred_at, text_head, text_middle, event_id, event_data)
              SELECT account_id, id, actor, action, object_type, object_id, before_digest, after_digest, occurred_at, text_head,
                text_middle, event_id, event_data
              FROM jsonb_populate_record(NULL::pending_changes, a_change);
              PERFORM pg_notify(a_channel, a_account);
              RETURN 'inserted';
            END
            $body$
            """, [])
    }
}
