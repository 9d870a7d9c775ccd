import Foundation
import TollgateDomain
import TollgateFormats

extension Store {
    /// Inserts `machine` and records `change` outside a transaction, under the machine's
    /// license's lock (``WriteLock/license(account:license:)``), if nothing the caller planned
    /// with has changed since it read `context`: the license and its policy are the same
    /// documents, no active machine of the license has the fingerprint, and, given a
    /// `seatLimit`, fewer than that many of its active machines are outside a draining cluster
    /// (``ActivationPlanner``'s machine limit for a machine in no cluster; a cluster with one node
    /// draining counts none of its nodes there, and its other nodes here, so this refuses no
    /// sooner). The count is taken only here, under the lock, and only for a limit: it grows with
    /// the license's machines (measured: counted in the read too, a floating license's activations
    /// on PostgreSQL fell by a fifth as its machines grew to hundreds).
    ///
    /// Inserts of one account that wait at the same time go in one statement
    /// (``MachineInsertBatches``, ``MachineBatchInsertMigration``): each still checked on its own.
    ///
    /// `true` when inserted; `false` when something changed, and the caller runs its
    /// transaction; `nil` on SQLite, whose transactions cost no round trips.
    public func insertMachine(_ machine: Machine, change: ChangeTable.Change, ifStill context: LicenseContext, seatLimit: Int?) async throws -> Bool? {
        guard let postgres = database as? PostgreSQLDatabase else { return nil }
        let item = postgres.insertItem(machine, change: change, ifStill: context, seatLimit: seatLimit)
        let outcome = try await noting {
            try await machineInserts.insert(item, account: machine.accountId) { items in
                try await postgres.insertMachines(items, account: machine.accountId)
            }
        }
        guard outcome == "inserted" else { return false }
        generation.advance(after: .license(account: machine.accountId, license: machine.licenseId))
        return true
    }
}

extension PostgreSQLDatabase {
    /// `machine`'s item of `tollgate_insert_machines`' array (``MachineBatchInsertMigration``), as JSON.
    func insertItem(_ machine: Machine, change: ChangeTable.Change, ifStill context: LicenseContext, seatLimit: Int?) -> String {
        let staged = ChangeTable.staged(accountId: machine.accountId, [change], at: machine.createdAt)[0]
        var json = JSONWriter(capacity: 4096)
        json.object { json in
            json.key("license")
            json.string(machine.licenseId)
            json.key("lockKey")
            json.int(Int(Self.lockKey(schema: schema, name: machine.licenseId)))
            json.key("licenseData")
            json.string(context.documents.license)
            json.key("policyData")
            if let policy = context.documents.policy { json.string(policy) } else { json.null() }
            json.key("fingerprint")
            json.string(machine.fingerprint)
            json.key("seatLimit")
            if let seatLimit { json.int(seatLimit) } else { json.null() }
            json.key("machine")
            SQLValue.write(MachineTable.columns, MachineTable.values(machine), to: &json)
            json.key("change")
            SQLValue.write(ChangeTable.stagedColumns, staged, to: &json)
        }
        return String(decoding: json.bytes, as: UTF8.self)
    }

    /// Runs `tollgate_insert_machines` on `items` of `account`: one outcome per item, in order.
    func insertMachines(_ items: [String], account: String) async throws -> [String] {
        let arguments: [SQLValue] = [
            .integer(writeLockKey), .integer(Self.lockKey(schema: schema, name: account)), .text(changeChannel), .text(account),
            .text("[" + items.joined(separator: ",") + "]"),
        ]
        let outcomes = try await alone { sql -> [String] in
            let row = try await sql.queryOne(
                "SELECT array_to_string(tollgate_insert_machines(?, ?, ?, ?, CAST(? AS JSONB)), ',') AS outcomes",
                arguments)
            return (row?.string("outcomes") ?? "").split(separator: ",").map(String.init)
        }
        guard let outcomes, outcomes.count == items.count else {
            throw MachineBatchMismatch(items: items.count, outcomes: outcomes?.count ?? 0)
        }
        return outcomes
    }
}

extension SQLValue {
    /// Writes a JSON object of `columns` and their `values` (in order), as `jsonb_populate_record`
    /// reads a row. Written with ``JSONWriter``: `JSONSerialization` took a sixth of the server's
    /// time per activation (measured: `perf` during `scripts/bench/activation`).
    static func write(_ columns: [String], _ values: [SQLValue], to json: inout JSONWriter) {
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
    }
}

/// `tollgate_insert_machines` answered another number of outcomes than it was given items: a
/// defect, answered 500.
struct MachineBatchMismatch: Error, CustomStringConvertible {
    let items: Int
    let outcomes: Int
    var description: String { "tollgate_insert_machines answered \(outcomes) outcomes for \(items) items" }
}
