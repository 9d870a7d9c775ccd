import Foundation
import TollgateDomain
import TollgateFormats

/// Accounts, and the head of each account's audit chain.
public struct AccountTable {
    let sql: any SQLExecutor

    public func insert(_ account: Account) async throws {
        try await sql.execute(
            "INSERT INTO accounts (id, name, created_at, audit_sequence, audit_head) VALUES (?, ?, ?, 0, ?)",
            [.text(account.id), .text(account.name), .integer(account.createdAt.epochMilliseconds), .text(AuditChain.genesis)])
    }

    /// Sets whether the account's staff must sign in with a two-factor code.
    public func setRequireTwoFactor(id: String, _ required: Bool) async throws {
        try await sql.execute("UPDATE accounts SET require_two_factor = ? WHERE id = ?", [.integer(required ? 1 : 0), .text(id)])
    }

    /// Sets how many requests per minute each of the account's API tokens may make.
    public func setAPIRequestsPerMinute(id: String, _ perMinute: Int) async throws {
        try await sql.execute("UPDATE accounts SET api_requests_per_minute = ? WHERE id = ?", [.integer(Int64(perMinute)), .text(id)])
    }

    /// The account with `id`.
    public func find(id: String) async throws -> Account? {
        try await sql.queryOne("SELECT id, name, created_at, require_two_factor, api_requests_per_minute FROM accounts WHERE id = ?", [.text(id)]).flatMap(Self.account)
    }

    /// Every account, oldest first.
    public func all() async throws -> [Account] {
        try await sql.query("SELECT id, name, created_at, require_two_factor, api_requests_per_minute FROM accounts ORDER BY created_at, id", []).compactMap(Self.account)
    }

    /// The sequence and hash of the account's last audit entry (0 and the genesis hash when none).
    public func auditHead(accountId: String) async throws -> (sequence: Int64, hash: String)? {
        guard let row = try await sql.queryOne("SELECT audit_sequence, audit_head FROM accounts WHERE id = ?", [.text(accountId)]),
            let sequence = row.int("audit_sequence"), let hash = row.string("audit_head")
        else { return nil }
        return (sequence, hash)
    }

    /// The account's telemetry salt (``TelemetryPseudonym``): `candidate` when the account has
    /// none yet (stored now), else the one stored first, also by a concurrent transaction.
    public func telemetrySalt(accountId: String, candidate: [UInt8]) async throws -> [UInt8] {
        if let salt = try await telemetrySalt(accountId: accountId) { return salt }
        try await sql.execute(
            "INSERT INTO telemetry_salts (account_id, salt) VALUES (?, ?) ON CONFLICT DO NOTHING",
            [.text(accountId), .text(Data(candidate).base64EncodedString())])
        // The row exists now: ours, or the one a concurrent transaction stored first.
        return try await telemetrySalt(accountId: accountId) ?? candidate
    }

    /// The account's telemetry salt; `nil` before its first telemetry event.
    public func telemetrySalt(accountId: String) async throws -> [UInt8]? {
        try await sql.queryOne("SELECT salt FROM telemetry_salts WHERE account_id = ?", [.text(accountId)])?
            .string("salt").flatMap { Data(base64Encoded: $0) }.map(Array.init)
    }

    static func account(_ row: SQLRow) -> Account? {
        guard let id = row.string("id"), let name = row.string("name"), let created = row.int("created_at") else { return nil }
        return Account(id: id, name: name, createdAt: .init(epochMilliseconds: created), requireTwoFactor: row.int("require_two_factor") == 1,
            apiRequestsPerMinute: row.int("api_requests_per_minute").map { Int($0) } ?? Account.defaultAPIRequestsPerMinute)
    }
}
