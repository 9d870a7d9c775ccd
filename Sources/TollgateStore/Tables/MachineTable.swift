import Foundation
import TollgateDomain
import TollgateFormats

/// Machines, one row each in plain columns (no JSON document): the sweep and cluster drains
/// change many rows with single statements.
public struct MachineTable {
    let sql: any SQLExecutor

    static let columns = [
        "id", "account_id", "license_id", "fingerprint", "name", "platform", "hostname", "cores", "cluster", "state",
        "deactivation_reason", "deactivated_at", "last_heartbeat_at", "dead_at", "cull_when_dead", "draining_until",
        "token_version", "activated_offline", "offline_request_nonce", "created_at", "updated_at",
    ]

    static func values(_ machine: Machine) -> [SQLValue] {
        [
            .text(machine.id), .text(machine.accountId), .text(machine.licenseId), .text(machine.fingerprint), .text(machine.name),
            .text(machine.platform), .text(machine.hostname), .integer(machine.cores.map(Int64.init)), .text(machine.cluster),
            .text(machine.state.rawValue), .text(machine.deactivationReason?.rawValue), .integer(machine.deactivatedAt?.epochMilliseconds),
            .integer(machine.lastHeartbeatAt.epochMilliseconds), .integer(machine.deadAt?.epochMilliseconds),
            .integer(machine.cullWhenDead ? 1 : 0), .integer(machine.drainingUntil?.epochMilliseconds), .integer(Int64(machine.tokenVersion)),
            .integer(machine.activatedOffline ? 1 : 0), .text(machine.offlineRequestNonce), .integer(machine.createdAt.epochMilliseconds),
            .integer(machine.updatedAt.epochMilliseconds),
        ]
    }

    public func insert(_ machine: Machine) async throws {
        let placeholders = Array(repeating: "?", count: Self.columns.count).joined(separator: ", ")
        try await sql.execute("INSERT INTO machines (\(Self.columns.joined(separator: ", "))) VALUES (\(placeholders))", Self.values(machine))
    }

    /// Replaces every column of a stored machine.
    public func update(_ machine: Machine) async throws {
        let assignments = Self.columns.dropFirst().map { "\($0) = ?" }.joined(separator: ", ")
        try await sql.execute("UPDATE machines SET \(assignments) WHERE id = ?", Array(Self.values(machine).dropFirst()) + [.text(machine.id)])
    }

    /// The machine with `id` in `accountId`.
    public func find(id: String, accountId: String) async throws -> Machine? {
        try await sql.queryOne("SELECT * FROM machines WHERE id = ? AND account_id = ?", [.text(id), .text(accountId)]).flatMap(Self.machine)
    }

    /// Whether an active machine of the license has `fingerprint`.
    public func isTaken(fingerprint: String, licenseId: String) async throws -> Bool {
        try await sql.queryOne(
            "SELECT id FROM machines WHERE license_id = ? AND fingerprint = ? AND state = 'active'", [.text(licenseId), .text(fingerprint)]) != nil
    }

    /// The seats a license's active machines take, per cluster, in one aggregate query.
    /// The id of the license's most recently activated machine that is still active.
    public func newestActive(licenseId: String) async throws -> String? {
        try await sql.queryOne(
            "SELECT id FROM machines WHERE license_id = ? AND state = 'active' ORDER BY created_at DESC, id DESC LIMIT 1", [.text(licenseId)]
        )?.string("id")
    }

    public func usage(licenseId: String) async throws -> SeatUsage {
        let rows = try await sql.query(
            """
            SELECT cluster, COUNT(*) AS nodes, MAX(CASE WHEN draining_until IS NULL THEN 0 ELSE 1 END) AS draining
            FROM machines WHERE license_id = ? AND state = 'active' GROUP BY cluster ORDER BY cluster
            """, [.text(licenseId)])
        var usage = SeatUsage(unclustered: 0, clusters: [])
        for row in rows {
            let nodes = Int(row.int("nodes") ?? 0)
            guard let name = row.string("cluster") else {
                usage.unclustered = nodes
                continue
            }
            usage.clusters.append(.init(name: name, nodes: nodes, draining: row.int("draining") == 1, lastBeat: .distantPast))
        }
        // When each cluster last beat decides which one drains; only clustered licenses read it.
        if !usage.clusters.isEmpty {
            let beats = try await sql.query(
                "SELECT cluster, MAX(last_heartbeat_at) AS last_beat FROM machines WHERE license_id = ? AND state = 'active' AND cluster IS NOT NULL GROUP BY cluster",
                [.text(licenseId)])
            for row in beats {
                if let name = row.string("cluster"), let beat = row.int("last_beat"), let index = usage.clusters.firstIndex(where: { $0.name == name }) {
                    usage.clusters[index].lastBeat = Date(epochMilliseconds: beat)
                }
            }
        }
        return usage
    }

    /// The machine an air-gapped request with `nonce` activated, if any.
    public func find(licenseId: String, offlineRequestNonce nonce: String) async throws -> Machine? {
        try await sql.queryOne("SELECT * FROM machines WHERE license_id = ? AND offline_request_nonce = ?", [.text(licenseId), .text(nonce)])
            .flatMap(Self.machine)
    }

    /// A page of `accountId`'s machines, optionally of one license and in one state, in id order.
    public func list(accountId: String, licenseId: String?, state: MachineState?, page: PageRequest) async throws -> Page<Machine> {
        var clauses = ["account_id = ?"]
        var arguments: [SQLValue] = [.text(accountId)]
        if let licenseId {
            clauses.append("license_id = ?")
            arguments.append(.text(licenseId))
        }
        if let state {
            clauses.append("state = ?")
            arguments.append(.text(state.rawValue))
        }
        if let after = page.after {
            clauses.append("id > ?")
            arguments.append(.text(after))
        }
        arguments.append(.integer(Int64(page.limit + 1)))
        var items = try await sql.query("SELECT * FROM machines WHERE \(clauses.joined(separator: " AND ")) ORDER BY id LIMIT ?", arguments)
            .compactMap(Self.machine)
        var next: String?
        if items.count > page.limit {
            items.removeLast()
            next = items.last?.id
        }
        return Page(items: items, nextCursor: next)
    }

    /// A plain heartbeat, written in a batch.
    public struct Beat: Sendable, Equatable {
        public var id: String
        public var at: Date
        public var deadAt: Date?
        public var cullWhenDead: Bool

        public init(id: String, at: Date, deadAt: Date?, cullWhenDead: Bool) {
            self.id = id
            self.at = at
            self.deadAt = deadAt
            self.cullWhenDead = cullWhenDead
        }
    }

    /// Writes beats to machines that are still active and have not beaten later since.
    public func recordBeats(_ beats: [Beat]) async throws {
        for beat in beats {
            let at = SQLValue.integer(beat.at.epochMilliseconds)
            try await sql.execute(
                """
                UPDATE machines SET last_heartbeat_at = ?, dead_at = ?, cull_when_dead = ?, updated_at = ?
                WHERE id = ? AND state = 'active' AND last_heartbeat_at <= ?
                """,
                [at, .integer(beat.deadAt?.epochMilliseconds), .integer(beat.cullWhenDead ? 1 : 0), at, .text(beat.id), at])
        }
    }

    /// Up to `limit` active machines that are dead at `now` under a policy that deactivates dead
    /// machines: the rule of ``MachineStateMachine``'s `cull`, as a query.
    public func dead(at now: Date, limit: Int) async throws -> [Machine] {
        try await due(column: "dead_at", condition: "cull_when_dead = 1", at: now, limit: limit)
    }

    /// Up to `limit` active machines whose cluster drain ended at `now`.
    public func drained(at now: Date, limit: Int) async throws -> [Machine] {
        try await due(column: "draining_until", condition: "draining_until IS NOT NULL", at: now, limit: limit)
    }

    /// Active machines meeting `condition` whose time `column` is at or before `now`, earliest
    /// first; the conditions match the partial indexes the sweep reads.
    private func due(column: String, condition: String, at now: Date, limit: Int) async throws -> [Machine] {
        try await sql.query(
            "SELECT * FROM machines WHERE state = 'active' AND \(condition) AND \(column) <= ? ORDER BY \(column) LIMIT ?",
            [.integer(now.epochMilliseconds), .integer(Int64(limit))]
        ).compactMap(Self.machine)
    }

    /// `machines` as ``deactivate(ids:reason:at:)`` leaves them (the same change, made in memory,
    /// so that the sweep does not read back the rows it just changed).
    public static func deactivated(_ machines: [Machine], reason: DeactivationReason, at now: Date) -> [Machine] {
        machines.map { machine in
            var after = machine
            after.state = .deactivated
            after.deactivationReason = reason
            after.deactivatedAt = now
            after.updatedAt = now
            if reason != .dead { after.tokenVersion += 1 }
            return after
        }
    }

    /// Deactivates `ids` (still active) for `reason`, bumping their token versions unless they
    /// died (``MachineStateMachine``: a dead machine's token may bring it back).
    public func deactivate(ids: [String], reason: DeactivationReason, at now: Date) async throws {
        let millis = SQLValue.integer(now.epochMilliseconds)
        let bump = reason == .dead ? 0 : 1
        for chunk in ids.chunks(of: 500) {
            let placeholders = Array(repeating: "?", count: chunk.count).joined(separator: ", ")
            try await sql.execute(
                """
                UPDATE machines SET state = 'deactivated', deactivation_reason = ?, deactivated_at = ?, updated_at = ?,
                  token_version = token_version + \(bump) WHERE state = 'active' AND id IN (\(placeholders))
                """,
                [.text(reason.rawValue), millis, millis] + chunk.map { .text($0) })
        }
    }

    /// The machines with `ids`, in id order (a sweep's batch after it changed them).
    public func find(ids: [String]) async throws -> [Machine] {
        var machines: [Machine] = []
        for chunk in ids.chunks(of: 500) {
            let placeholders = Array(repeating: "?", count: chunk.count).joined(separator: ", ")
            machines += try await sql.query("SELECT * FROM machines WHERE id IN (\(placeholders)) ORDER BY id", chunk.map { .text($0) }).compactMap(Self.machine)
        }
        return machines
    }

    /// Marks the active machines of a license's cluster as draining until `until`.
    public func drain(licenseId: String, cluster: String, until: Date, at now: Date) async throws -> [String] {
        let ids = try await sql.query(
            "SELECT id FROM machines WHERE license_id = ? AND cluster = ? AND state = 'active' AND draining_until IS NULL ORDER BY id",
            [.text(licenseId), .text(cluster)]
        ).compactMap { $0.string("id") }
        try await sql.execute(
            "UPDATE machines SET draining_until = ?, updated_at = ? WHERE license_id = ? AND cluster = ? AND state = 'active' AND draining_until IS NULL",
            [.integer(until.epochMilliseconds), .integer(now.epochMilliseconds), .text(licenseId), .text(cluster)])
        return ids
    }

    /// The fingerprints of a license's active machines.
    public func fingerprints(licenseId: String) async throws -> Set<String> {
        Set(try await sql.query("SELECT fingerprint FROM machines WHERE license_id = ? AND state = 'active'", [.text(licenseId)]).compactMap { $0.string("fingerprint") })
    }

    static func machine(_ row: SQLRow) -> Machine? {
        func date(_ column: String) -> Date? { row.int(column).map(Date.init(epochMilliseconds:)) }
        guard let id = row.string("id"), let account = row.string("account_id"), let license = row.string("license_id"),
            let fingerprint = row.string("fingerprint"), let state = row.string("state").flatMap(MachineState.init(rawValue:)),
            let lastBeat = date("last_heartbeat_at"), let created = date("created_at"), let updated = date("updated_at")
        else { return nil }
        return Machine(
            id: id, accountId: account, licenseId: license, fingerprint: fingerprint, name: row.string("name"),
            platform: row.string("platform"), hostname: row.string("hostname"), cores: row.int("cores").map(Int.init),
            cluster: row.string("cluster"), state: state,
            deactivationReason: row.string("deactivation_reason").flatMap(DeactivationReason.init(rawValue:)),
            deactivatedAt: date("deactivated_at"), lastHeartbeatAt: lastBeat, deadAt: date("dead_at"),
            cullWhenDead: row.int("cull_when_dead") == 1, drainingUntil: date("draining_until"),
            tokenVersion: Int(row.int("token_version") ?? 0), activatedOffline: row.int("activated_offline") == 1,
            offlineRequestNonce: row.string("offline_request_nonce"), createdAt: created, updatedAt: updated)
    }
}
