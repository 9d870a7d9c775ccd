import Foundation
import TollgateDomain
import TollgateFormats

/// Concurrency leases: a slot of a license's `concurrentExecutions`, held until it expires or
/// is returned.
public struct LeaseTable {
    let sql: any SQLExecutor

    public func insert(_ lease: Lease) async throws {
        try await sql.execute(
            "INSERT INTO leases (id, account_id, license_id, machine_id, holder, expires_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [.text(lease.id), .text(lease.accountId), .text(lease.licenseId), .text(lease.machineId), .text(lease.holder),
             .integer(lease.expiresAt.epochMilliseconds), .integer(lease.createdAt.epochMilliseconds)])
    }

    public func find(id: String, licenseId: String) async throws -> Lease? {
        try await sql.queryOne("SELECT * FROM leases WHERE id = ? AND license_id = ?", [.text(id), .text(licenseId)]).flatMap(Self.lease)
    }

    /// The license's leases that have not expired at `now`.
    public func live(licenseId: String, at now: Date) async throws -> [Lease] {
        try await sql.query("SELECT * FROM leases WHERE license_id = ? AND expires_at > ? ORDER BY id", [.text(licenseId), .integer(now.epochMilliseconds)])
            .compactMap(Self.lease)
    }

    public func setExpiry(id: String, to expiresAt: Date) async throws {
        try await sql.execute("UPDATE leases SET expires_at = ? WHERE id = ?", [.integer(expiresAt.epochMilliseconds), .text(id)])
    }

    public func delete(id: String) async throws {
        try await sql.execute("DELETE FROM leases WHERE id = ?", [.text(id)])
    }

    /// Removes leases that expired before `now`; they already count for nothing.
    public func deleteExpired(before now: Date) async throws {
        try await sql.execute("DELETE FROM leases WHERE expires_at <= ?", [.integer(now.epochMilliseconds)])
    }

    static func lease(_ row: SQLRow) -> Lease? {
        guard let id = row.string("id"), let account = row.string("account_id"), let license = row.string("license_id"),
            let expires = row.int("expires_at"), let created = row.int("created_at")
        else { return nil }
        return Lease(
            id: id, accountId: account, licenseId: license, machineId: row.string("machine_id"), holder: row.string("holder"),
            expiresAt: Date(epochMilliseconds: expires), createdAt: Date(epochMilliseconds: created))
    }
}
