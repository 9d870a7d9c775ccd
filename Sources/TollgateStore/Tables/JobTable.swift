import Foundation
import TollgateCore

/// The ticks of background jobs, shared by every replica of one database.
public struct JobTable {
    let sql: any SQLExecutor

    /// Claims the tick of job `name` at `now` for `owner` when the last claimed tick is at least
    /// `interval` old; `false` when another replica (or this one) ran it more recently. The claim
    /// is one conditional update, so of several replicas asking at once exactly one wins.
    public func claim(_ name: String, owner: String, at now: Date, every interval: TimeInterval) throws -> Bool {
        let millis = now.epochMilliseconds
        if try sql.queryOne("SELECT name FROM job_ticks WHERE name = ?", [.text(name)]) == nil {
            try sql.execute("INSERT INTO job_ticks (name, last_run_at, owner) VALUES (?, 0, NULL)", [.text(name)])
        }
        let claimed = try sql.query(
            "UPDATE job_ticks SET last_run_at = ?, owner = ? WHERE name = ? AND last_run_at <= ? RETURNING name",
            [.integer(millis), .text(owner), .text(name), .integer(millis - Int64(interval * 1000))])
        return !claimed.isEmpty
    }
}
