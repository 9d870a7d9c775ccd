import Foundation
import TollgateDomain
import TollgateFormats

extension Store {
    /// Inserts `machine` and records `change` in one statement outside a transaction, under the
    /// machine's license's lock (``WriteLock/license(account:license:)``), if nothing the caller
    /// planned with has changed since it read `context`: the license and its policy are the same
    /// documents, no active machine of the license has the fingerprint, and, given a
    /// `seatLimit`, fewer than that many of its active machines are outside a draining cluster
    /// (``ActivationPlanner``'s machine limit for a machine in no cluster; a cluster with one node
    /// draining counts none of its nodes there, and its other nodes here, so this refuses no
    /// sooner). The count is taken only here, under the lock, and only for a limit: it grows with
    /// the license's machines (measured: counted in the read too, a floating license's activations
    /// on PostgreSQL fell by a fifth as its machines grew to hundreds).
    ///
    /// `true` when inserted; `false` when something changed, and the caller runs its
    /// transaction; `nil` on SQLite, whose transactions cost no round trips
    /// (``GuardedMachineInsertMigration``).
    public func insertMachine(_ machine: Machine, change: ChangeTable.Change, ifStill context: LicenseContext, seatLimit: Int?) async throws -> Bool? {
        let lock = WriteLock.license(account: machine.accountId, license: machine.licenseId)
        let staged = ChangeTable.staged(accountId: machine.accountId, [change], at: machine.createdAt)[0]
        let outcome = try await noting {
            try await database.alone { sql -> String in
                guard let postgres = sql as? PostgreSQLExecutor else { return "" }
                let row = try await sql.queryOne(
                    "SELECT tollgate_insert_machine(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, CAST(? AS JSONB), CAST(? AS JSONB)) AS outcome",
                    postgres.database.licenseLockKeys(account: machine.accountId, license: machine.licenseId) + [
                        .text(postgres.database.changeChannel), .text(machine.accountId), .text(machine.licenseId), .text(context.documents.license),
                        .text(context.documents.policy), .text(machine.fingerprint), .integer(seatLimit.map(Int64.init)),
                        .text(SQLValue.jsonObject(MachineTable.columns, MachineTable.values(machine))),
                        .text(SQLValue.jsonObject(ChangeTable.stagedColumns, staged)),
                    ])
                return row?.string("outcome") ?? ""
            }
        }
        guard let outcome else { return nil }
        guard outcome == "inserted" else { return false }
        generation.advance(after: lock)
        return true
    }
}

extension SQLValue {
    /// A JSON object of `columns` and their `values` (in order), as `jsonb_populate_record` reads
    /// a row. Written with ``JSONWriter``: `JSONSerialization` took a sixth of the server's time
    /// per activation (measured: `perf` during `scripts/bench/activation`).
    static func jsonObject(_ columns: [String], _ values: [SQLValue]) -> String {
        var json = JSONWriter(capacity: 2048)
        json.object { json in
            for (column, value) in zip(columns, values) {
                json.key(column)
                switch value {
                case .null: json.null()
                case .integer(let number): json.int(Int(number))
                case .text(let text): json.string(text)
                }
            }
        }
        return String(decoding: json.bytes, as: UTF8.self)
    }
}
