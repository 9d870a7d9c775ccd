import Foundation
import TollgateDomain
import TollgateFormats

/// Work done in the background and retried until it succeeds, shared by every replica of one
/// database: the `jobs` table.
///
/// A runner *claims* due jobs: one statement marks them `running`, leased to it until a time,
/// and counts the attempt. It then does the job's work and *completes* it with a conditional
/// update — still `running`, still its lease, still this attempt — in the same transaction as
/// the work's last write, so the work and its completion commit together or not at all. A runner
/// killed mid-job leaves the job `running` with a lease that runs out, and the next claim after
/// that runs it again; a runner whose lease ran out and was taken over cannot complete it (the
/// conditional update matches nothing and its transaction rolls back).
///
/// A job either runs once (`every == nil`): after `maxAttempts` failures it is `dead`, kept
/// with its last error; or recurs every `every` seconds: on success or failure it goes back
/// to `queued` for its next run and never dies.
public struct JobTable {
    let sql: any SQLExecutor

    /// A job as stored.
    public struct Job: Sendable, Equatable {
        public enum State: String, Sendable, CaseIterable {
            case queued, running, succeeded, dead
        }

        public var id: String
        public var kind: String
        public var accountId: String?
        /// At most one job holds a dedupe key, ever: enqueueing a second is a no-op.
        public var dedupeKey: String?
        /// The job's input, as the job kind defines it (usually JSON).
        public var payload: String
        public var state: State
        /// Claims so far, this one included while it runs. Reset when a recurring job succeeds.
        public var attempts: Int
        public var maxAttempts: Int
        /// Seconds between runs of a recurring job; `nil` for a job that runs once.
        public var every: TimeInterval?
        /// Not before this time.
        public var runAt: Date
        public var leaseOwner: String?
        public var leaseUntil: Date?
        public var lastError: String?
        public var createdAt: Date
        public var updatedAt: Date
    }

    /// What to enqueue.
    public struct Draft: Sendable {
        public var kind: String
        public var accountId: String?
        public var dedupeKey: String?
        public var payload: String
        public var maxAttempts: Int
        public var every: TimeInterval?
        public var runAt: Date

        public init(
            kind: String, accountId: String? = nil, dedupeKey: String? = nil, payload: String = "{}", maxAttempts: Int = 10,
            every: TimeInterval? = nil, runAt: Date
        ) {
            self.kind = kind
            self.accountId = accountId
            self.dedupeKey = dedupeKey
            self.payload = payload
            self.maxAttempts = maxAttempts
            self.every = every
            self.runAt = runAt
        }
    }

    /// Adds a job, or does nothing when a job already holds `draft.dedupeKey`. Returns whether
    /// it was added. Call it inside the transaction of the change that asks for the job.
    @discardableResult
    public func enqueue(_ draft: Draft, at now: Date) async throws -> Bool {
        let id = Identifier.make(.job, at: [now])[0]
        let added = try await sql.query(
            """
            INSERT INTO jobs (id, kind, account_id, dedupe_key, payload, state, attempts, max_attempts, every_ms, run_at, created_at, updated_at)
            VALUES (?, ?, ?, ?, ?, 'queued', 0, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING id
            """,
            [
                .text(id), .text(draft.kind), .text(draft.accountId), .text(draft.dedupeKey), .text(draft.payload), .integer(Int64(draft.maxAttempts)),
                .integer(draft.every.map { Int64($0 * 1000) }), .integer(draft.runAt.epochMilliseconds), .integer(now.epochMilliseconds),
                .integer(now.epochMilliseconds),
            ])
        return !added.isEmpty
    }

    /// Makes sure the recurring job `kind` exists (dedupe key `recurring:<kind>`), first due at
    /// `firstRun`. An existing one takes the new interval and keeps its schedule, except that its
    /// next run comes no later than one new interval from `now`.
    public func schedule(_ kind: String, every interval: TimeInterval, firstRun: Date, at now: Date) async throws {
        let key = "recurring:\(kind)"
        if try await !enqueue(Draft(kind: kind, dedupeKey: key, every: interval, runAt: firstRun), at: now) {
            let millis = Int64(interval * 1000)
            try await sql.execute(
                "UPDATE jobs SET every_ms = ?, run_at = CASE WHEN run_at > ? THEN ? ELSE run_at END WHERE dedupe_key = ?",
                [.integer(millis), .integer(now.epochMilliseconds + millis), .integer(now.epochMilliseconds + millis), .text(key)])
        }
    }

    /// Whether a job of `kinds` is due at `now`: a read, so that idle runners poll without writing.
    public func anyDue(kinds: [String], at now: Date) async throws -> Bool {
        guard !kinds.isEmpty else { return false }
        let (condition, arguments) = Self.due(kinds: kinds, at: now)
        return try await sql.queryOne("SELECT id FROM jobs WHERE \(condition) LIMIT 1", arguments) != nil
    }

    /// Jobs of `kinds` due at `now`: queued with `run_at` passed, or running with a lease that ran out.
    static func due(kinds: [String], at now: Date) -> (condition: String, arguments: [SQLValue]) {
        let placeholders = Array(repeating: "?", count: kinds.count).joined(separator: ", ")
        let millis = now.epochMilliseconds
        return (
            "kind IN (\(placeholders)) AND ((state = 'queued' AND run_at <= ?) OR (state = 'running' AND lease_until <= ?))",
            kinds.map { .text($0) } + [.integer(millis), .integer(millis)]
        )
    }

    /// Claims up to `limit` jobs of `kinds` that are due at `now` — queued with `runAt` passed, or
    /// running with a lease that ran out — for `owner` until `now + lease`, oldest due first.
    public func claim(kinds: [String], owner: String, at now: Date, lease: TimeInterval, limit: Int) async throws -> [Job] {
        guard !kinds.isEmpty else { return [] }
        let millis = now.epochMilliseconds
        let (condition, arguments) = Self.due(kinds: kinds, at: now)
        let rows = try await sql.query(
            """
            UPDATE jobs SET state = 'running', lease_owner = ?, lease_until = ?, attempts = attempts + 1, updated_at = ?
            WHERE id IN (SELECT id FROM jobs WHERE \(condition) ORDER BY run_at LIMIT ?\(sql.dialect.skipLocked))
            RETURNING *
            """,
            [.text(owner), .integer(millis + Int64(lease * 1000)), .integer(millis)] + arguments + [.integer(Int64(limit))])
        return rows.compactMap(Self.job).sorted { ($0.runAt, $0.id) < ($1.runAt, $1.id) }
    }

    /// Moves the lease of a running `job` to `until`; `false` when it is no longer this claim's.
    public func extendLease(_ job: Job, until: Date) async throws -> Bool {
        try await !sql.query(
            "UPDATE jobs SET lease_until = ? WHERE id = ? AND state = 'running' AND lease_owner = ? AND attempts = ? RETURNING id",
            [.integer(until.epochMilliseconds), .text(job.id), .text(job.leaseOwner), .integer(Int64(job.attempts))]
        ).isEmpty
    }

    /// Marks this claim of `job` done: a job that runs once becomes `succeeded`, a recurring one
    /// is queued for `now + every`. Throws ``JobLeaseLost`` when the claim is no longer current
    /// (the lease ran out and another runner took the job), which rolls back the caller's
    /// transaction and with it the work.
    public func complete(_ job: Job, at now: Date) async throws {
        let next: [SQLValue] =
            if let every = job.every {
                [.text(Job.State.queued.rawValue), .integer(0), .integer(now.addingTimeInterval(every).epochMilliseconds)]
            } else {
                [.text(Job.State.succeeded.rawValue), .integer(Int64(job.attempts)), .integer(job.runAt.epochMilliseconds)]
            }
        let done = try await sql.query(
            """
            UPDATE jobs SET state = ?, attempts = ?, run_at = ?, lease_owner = NULL, lease_until = NULL, last_error = NULL, updated_at = ?
            WHERE id = ? AND state = 'running' AND lease_owner = ? AND attempts = ? RETURNING id
            """,
            next + [.integer(now.epochMilliseconds), .text(job.id), .text(job.leaseOwner), .integer(Int64(job.attempts))])
        if done.isEmpty { throw JobLeaseLost(jobId: job.id) }
    }

    /// Records that this claim of `job` failed with `error`: it runs again at `retryAt`, or, a
    /// job that runs once with no attempts left, becomes `dead`. Returns the state it went to,
    /// or `nil` when the claim is no longer current.
    @discardableResult
    public func fail(_ job: Job, error: String, retryAt: Date, at now: Date) async throws -> Job.State? {
        let state: Job.State = job.every == nil && job.attempts >= job.maxAttempts ? .dead : .queued
        let failed = try await sql.query(
            """
            UPDATE jobs SET state = ?, run_at = ?, lease_owner = NULL, lease_until = NULL, last_error = ?, updated_at = ?
            WHERE id = ? AND state = 'running' AND lease_owner = ? AND attempts = ? RETURNING id
            """,
            [
                .text(state.rawValue), .integer(retryAt.epochMilliseconds), .text(String(error.prefix(2_000))), .integer(now.epochMilliseconds),
                .text(job.id), .text(job.leaseOwner), .integer(Int64(job.attempts)),
            ])
        return failed.isEmpty ? nil : state
    }

    /// The job with `id`.
    public func find(id: String) async throws -> Job? {
        try await sql.queryOne("SELECT * FROM jobs WHERE id = ?", [.text(id)]).flatMap(Self.job)
    }

    /// The job holding `dedupeKey` (a recurring job's is `recurring:<kind>`).
    public func find(dedupeKey: String) async throws -> Job? {
        try await sql.queryOne("SELECT * FROM jobs WHERE dedupe_key = ?", [.text(dedupeKey)]).flatMap(Self.job)
    }

    /// How many jobs are in each state.
    public func counts() async throws -> [Job.State: Int] {
        var counts: [Job.State: Int] = [:]
        for row in try await sql.query("SELECT state, COUNT(*) AS n FROM jobs GROUP BY state", []) {
            if let state = row.string("state").flatMap(Job.State.init), let count = row.int("n") { counts[state] = Int(count) }
        }
        return counts
    }

    /// Deletes jobs that ran once and succeeded before `cutoff`; returns how many. Dead jobs stay
    /// until someone looks at them.
    @discardableResult
    public func deleteSucceeded(before cutoff: Date) async throws -> Int {
        try await sql.query(
            "DELETE FROM jobs WHERE state = 'succeeded' AND updated_at < ? RETURNING id", [.integer(cutoff.epochMilliseconds)]
        ).count
    }

    static func job(_ row: SQLRow) -> Job? {
        guard let id = row.string("id"), let kind = row.string("kind"), let payload = row.string("payload"),
            let state = row.string("state").flatMap(Job.State.init), let attempts = row.int("attempts"), let maxAttempts = row.int("max_attempts"),
            let runAt = row.int("run_at"), let created = row.int("created_at"), let updated = row.int("updated_at")
        else { return nil }
        return Job(
            id: id, kind: kind, accountId: row.string("account_id"), dedupeKey: row.string("dedupe_key"), payload: payload, state: state,
            attempts: Int(attempts), maxAttempts: Int(maxAttempts), every: row.int("every_ms").map { TimeInterval($0) / 1000 },
            runAt: Date(epochMilliseconds: runAt), leaseOwner: row.string("lease_owner"), leaseUntil: row.int("lease_until").map(Date.init(epochMilliseconds:)),
            lastError: row.string("last_error"), createdAt: Date(epochMilliseconds: created), updatedAt: Date(epochMilliseconds: updated))
    }
}

/// A job's claim is no longer current: its lease ran out and another runner claimed it. The
/// transaction that tried to complete it rolls back.
public struct JobLeaseLost: Error, Sendable, Equatable {
    public var jobId: String
}
