/// Migration 29's step on PostgreSQL: `tollgate_insert_machines`, the activations of one account
/// written in one statement (``Store/insertMachine(_:change:ifStill:seatLimit:)`` gathers them,
/// ``MachineInsertBatches``). `tollgate_insert_machine` (``GuardedMachineInsertMigration``), one
/// activation per statement, stays for replicas of the previous version during a rolling upgrade.
///
/// `a_items` is an array of objects: `license`, `lockKey`, `licenseData`, `policyData`,
/// `fingerprint`, `seatLimit` (or null), `machine` (a `machines` row as JSON) and `change` (a
/// `pending_changes` row as JSON). The function takes the account's shared locks and each
/// license's exclusive lock in the order of their keys (two batches from two replicas that share
/// licenses cannot each hold a lock the other waits for), then checks every item in one statement
/// after the locks' — on what committed before it had them — as `tollgate_insert_machine` checks
/// one: the license and policy are still the documents planned with, no active machine of the
/// license has the fingerprint, fewer than `seatLimit` machines take seats — counting, for items
/// of one license, the batch's earlier items that take a seat, and an earlier item's fingerprint
/// as taken. If any item passes, it locks the account's row, chains the passing items' changes
/// onto the audit trail and the event log in order, writes their machines, entries and events and
/// the account's head in one statement, and announces the commit once. It answers one outcome per item, in order: `inserted`, `changed`, `taken` or `full`.
///
/// Why: per activation, PostgreSQL's CPU went to the statement machinery (executor starts, the
/// round trip, the commit, the account row's lock and update, the notification) more than to the
/// rows; a batch pays those once (measured in BENCHMARKS.md).
enum MachineBatchInsertMigration {
    static func run(_ sql: any SQLExecutor, now: Int64) async throws {
        guard sql.dialect == .postgresql else { return }
        try await sql.execute(
            """
            CREATE OR REPLACE FUNCTION tollgate_insert_machines(
              a_database_key BIGINT, a_account_key BIGINT, a_channel TEXT, a_account TEXT, a_items JSONB
            ) RETURNS TEXT[] LANGUAGE plpgsql VOLATILE AS $body$
            DECLARE
              lock_key BIGINT;
              outcomes TEXT[];
              n INT;
              change pending_changes%ROWTYPE;
              audit_at BIGINT;
              event_at BIGINT;
              head TEXT;
              digest TEXT;
              audit_rows JSONB := '[]';
              event_rows JSONB := '[]';
            BEGIN
              PERFORM pg_advisory_xact_lock_shared(a_database_key), pg_advisory_xact_lock_shared(a_account_key);
              FOR lock_key IN SELECT DISTINCT (i ->> 'lockKey')::BIGINT FROM jsonb_array_elements(a_items) i ORDER BY 1 LOOP
                PERFORM pg_advisory_xact_lock(lock_key);
              END LOOP;
              -- A statement after the locks': what committed before it has the locks.
              -- An item takes the next seat of its license after the batch's earlier items that
              -- may take one (unchanged, fingerprint free): the rank among them, counted on top of
              -- the seats taken before the batch. A fingerprint an earlier item of the batch names is taken.
              SELECT array_agg(
                  CASE WHEN NOT c.unchanged THEN 'changed' WHEN c.taken THEN 'taken'
                    WHEN c.seats + c.rank > c.seat_limit THEN 'full' ELSE 'inserted' END ORDER BY c.ord)
                INTO outcomes
                FROM (
                  SELECT b.*, sum(CASE WHEN b.unchanged AND NOT b.taken THEN 1 ELSE 0 END)
                      OVER (PARTITION BY b.license ORDER BY b.ord) AS rank
                  FROM (
                    SELECT x.ord, x.i ->> 'license' AS license, (x.i ->> 'seatLimit')::BIGINT AS seat_limit,
                      EXISTS (
                        SELECT 1 FROM licenses l LEFT JOIN policies p ON p.id = l.policy_id AND p.account_id = l.account_id
                        WHERE l.id = x.i ->> 'license' AND l.account_id = a_account AND l.data = x.i ->> 'licenseData'
                          AND p.data IS NOT DISTINCT FROM x.i ->> 'policyData') AS unchanged,
                      t.taken IS NOT NULL
                        OR row_number() OVER (PARTITION BY x.i ->> 'license', x.i ->> 'fingerprint' ORDER BY x.ord) > 1 AS taken,
                      COALESCE(s.seats, 0) AS seats
                    FROM jsonb_array_elements(a_items) WITH ORDINALITY AS x(i, ord)
                    -- Seats counted once per license of the batch, and only for a limit.
                    LEFT JOIN (
                      SELECT d.license, (
                        SELECT COUNT(*) FROM machines m
                        WHERE m.license_id = d.license AND m.state = 'active' AND m.draining_until IS NULL) AS seats
                      FROM (SELECT DISTINCT e ->> 'license' AS license FROM jsonb_array_elements(a_items) e
                        WHERE e ->> 'seatLimit' IS NOT NULL) d) s ON s.license = x.i ->> 'license'
                    -- A lateral join, not EXISTS: PostgreSQL ran that EXISTS as a hashed subplan, a scan of
                    -- every machine per batch (measured: auto_explain, batches slowing as the table grew).
                    LEFT JOIN LATERAL (
                      SELECT TRUE AS taken FROM machines m
                      WHERE m.license_id = x.i ->> 'license' AND m.fingerprint = x.i ->> 'fingerprint' AND m.state = 'active'
                      LIMIT 1) t ON TRUE) b) c;
              IF outcomes IS NULL OR NOT ('inserted' = ANY (outcomes)) THEN
                RETURN outcomes;
              END IF;
              SELECT a.audit_sequence, a.event_sequence, a.audit_head INTO audit_at, event_at, head
                FROM accounts a WHERE a.id = a_account FOR UPDATE;
              IF NOT FOUND THEN
                RAISE EXCEPTION 'account % does not exist: its changes cannot be logged', a_account;
              END IF;
              FOR n IN 1 .. array_length(outcomes, 1) LOOP
                CONTINUE WHEN outcomes[n] <> 'inserted';
                change := jsonb_populate_record(NULL::pending_changes, a_items -> (n - 1) -> 'change');
                audit_at := audit_at + 1;
                digest := encode(sha256(convert_to(
                  change.text_head || octet_length(audit_at::text) || ':' || audit_at::text
                    || change.text_middle || octet_length(head) || ':' || head, 'UTF8')), 'hex');
                audit_rows := audit_rows || jsonb_build_object(
                  'sequence', audit_at, 'id', change.id, 'actor', change.actor, 'action', change.action,
                  'object_type', change.object_type, 'object_id', change.object_id, 'before_digest', change.before_digest,
                  'after_digest', change.after_digest, 'occurred_at', change.occurred_at, 'previous_hash', head, 'hash', digest);
                head := digest;
                IF change.event_id IS NOT NULL THEN
                  event_at := event_at + 1;
                  event_rows := event_rows || jsonb_build_object(
                    'sequence', event_at, 'id', change.event_id, 'type', change.action, 'object_type', change.object_type,
                    'object_id', change.object_id, 'actor', change.actor, 'data', change.event_data, 'occurred_at', change.occurred_at);
                END IF;
              END LOOP;
              WITH machine AS (
                  INSERT INTO machines
                  SELECT r.* FROM jsonb_array_elements(a_items) WITH ORDINALITY AS x(i, ord),
                    jsonb_populate_record(NULL::machines, x.i -> 'machine') r
                  WHERE outcomes[x.ord::INT] = 'inserted'),
                audit AS (
                  INSERT INTO audit_events (account_id, sequence, id, actor, action, object_type, object_id, before_digest,
                    after_digest, occurred_at, previous_hash, hash)
                  SELECT a_account, r.sequence, r.id, r.actor, r.action, r.object_type, r.object_id, r.before_digest,
                    r.after_digest, r.occurred_at, r.previous_hash, r.hash
                  FROM jsonb_populate_recordset(NULL::audit_events, audit_rows) r),
                event AS (
                  INSERT INTO events (account_id, sequence, id, type, object_type, object_id, actor, data, occurred_at)
                  SELECT a_account, r.sequence, r.id, r.type, r.object_type, r.object_id, r.actor, r.data, r.occurred_at
                  FROM jsonb_populate_recordset(NULL::events, event_rows) r)
              UPDATE accounts SET audit_sequence = audit_at, event_sequence = event_at, audit_head = head WHERE id = a_account;
              PERFORM pg_notify(a_channel, a_account);
              RETURN outcomes;
            END
            $body$
            """, [])
    }
}
