/// Migration 13's step on SQLite: the audit log and the event log become `WITHOUT ROWID` tables
/// keyed by `(account_id, sequence)`, without the unique index on `id`.
///
/// Every page a SQLite transaction changes is written whole to the WAL at commit, so each b-tree
/// a change touches costs 4 KiB per change. An activation touched 16 (the machine's table and
/// five indexes; each log's rowid table, primary key, `id` index and object index; the events'
/// type index; the account's row). The logs' rowid tables duplicated their primary keys, and
/// nothing reads the logs by `id` (ids are ULIDs made in order by this one process, unique by
/// construction); without both, an activation changes 11 pages, as many as before the event log
/// existed (measured: BENCHMARKS.md, SQLite activation against the code before issue 11).
/// PostgreSQL keeps its tables as they are: its WAL records rows, not pages.
enum CompactLogsMigration {
    static func run(_ sql: any SQLExecutor, now: Int64) async throws {
        guard sql.dialect == .sqlite else { return }
        for statement in [
            """
            CREATE TABLE audit_events_compact (
              account_id TEXT NOT NULL, sequence BIGINT NOT NULL, id TEXT NOT NULL, actor TEXT NOT NULL,
              action TEXT NOT NULL, object_type TEXT NOT NULL, object_id TEXT NOT NULL, before_digest TEXT,
              after_digest TEXT, occurred_at BIGINT NOT NULL, previous_hash TEXT NOT NULL, hash TEXT NOT NULL,
              PRIMARY KEY (account_id, sequence)) WITHOUT ROWID
            """,
            """
            INSERT INTO audit_events_compact SELECT account_id, sequence, id, actor, action, object_type, object_id, before_digest,
              after_digest, occurred_at, previous_hash, hash FROM audit_events
            """,
            "DROP TABLE audit_events",
            "ALTER TABLE audit_events_compact RENAME TO audit_events",
            "CREATE INDEX audit_events_by_object ON audit_events (account_id, object_id)",
            """
            CREATE TABLE events_compact (
              account_id TEXT NOT NULL, sequence BIGINT NOT NULL, id TEXT NOT NULL, type TEXT NOT NULL,
              object_type TEXT NOT NULL, object_id TEXT NOT NULL, actor TEXT NOT NULL, data TEXT, occurred_at BIGINT NOT NULL,
              PRIMARY KEY (account_id, sequence)) WITHOUT ROWID
            """,
            "INSERT INTO events_compact SELECT account_id, sequence, id, type, object_type, object_id, actor, data, occurred_at FROM events",
            "DROP TABLE events",
            "ALTER TABLE events_compact RENAME TO events",
            "CREATE INDEX events_by_type ON events (account_id, type, sequence)",
            "CREATE INDEX events_by_object ON events (account_id, object_id, sequence)",
        ] {
            try await sql.execute(statement)
        }
    }
}
