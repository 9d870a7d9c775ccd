import Foundation
import TollgateDomain
import TollgateFormats

/// Webhook endpoints' signing secrets, sealed (the server seals and opens them under the
/// key-encryption key, as it does signing keys). An endpoint has one current secret (no expiry)
/// and, after a rotation, the previous one until it expires: deliveries are signed with every
/// secret in force, so receivers can switch at their own pace.
public struct WebhookSecretTable {
    let sql: any SQLExecutor

    /// A secret as stored.
    public struct Row: Sendable, Equatable {
        public var endpointId: String
        public var accountId: String
        public var createdAt: Date
        /// When it stops signing; `nil` for the current secret.
        public var expiresAt: Date?
        /// The secret's key, sealed (AES-256-GCM, base64 of nonce, ciphertext and tag).
        public var sealed: String

        public init(endpointId: String, accountId: String, createdAt: Date, expiresAt: Date?, sealed: String) {
            self.endpointId = endpointId
            self.accountId = accountId
            self.createdAt = createdAt
            self.expiresAt = expiresAt
            self.sealed = sealed
        }
    }

    public func insert(_ row: Row) async throws {
        try await sql.execute(
            "INSERT INTO webhook_secrets (endpoint_id, account_id, created_at, expires_at, sealed) VALUES (?, ?, ?, ?, ?)",
            [.text(row.endpointId), .text(row.accountId), .integer(row.createdAt.epochMilliseconds), .integer(row.expiresAt?.epochMilliseconds), .text(row.sealed)])
    }

    /// The secrets of `endpointId` still signing at `now`: the current one first.
    public func inForce(endpointId: String, accountId: String, at now: Date) async throws -> [Row] {
        try await sql.query(
            """
            SELECT * FROM webhook_secrets WHERE endpoint_id = ? AND account_id = ? AND (expires_at IS NULL OR expires_at > ?)
            ORDER BY CASE WHEN expires_at IS NULL THEN 0 ELSE 1 END, created_at DESC
            """, [.text(endpointId), .text(accountId), .integer(now.epochMilliseconds)]
        ).map { row in
            Row(
                endpointId: row.string("endpoint_id") ?? "", accountId: row.string("account_id") ?? "",
                createdAt: Date(epochMilliseconds: row.int("created_at") ?? 0), expiresAt: row.int("expires_at").map(Date.init(epochMilliseconds:)),
                sealed: row.string("sealed") ?? "")
        }
    }

    /// Ends the current secret of `endpointId` at `expiresAt` and drops the one it replaced
    /// before, if any: a second rotation within the window ends the first one's old secret at once.
    public func retireCurrent(endpointId: String, accountId: String, expiresAt: Date) async throws {
        try await sql.execute(
            "DELETE FROM webhook_secrets WHERE endpoint_id = ? AND account_id = ? AND expires_at IS NOT NULL",
            [.text(endpointId), .text(accountId)])
        try await sql.execute(
            "UPDATE webhook_secrets SET expires_at = ? WHERE endpoint_id = ? AND account_id = ? AND expires_at IS NULL",
            [.integer(expiresAt.epochMilliseconds), .text(endpointId), .text(accountId)])
    }

    /// Deletes the endpoint `endpointId` and its secrets.
    public func deleteEndpoint(_ endpointId: String, accountId: String) async throws {
        try await sql.execute("DELETE FROM webhook_secrets WHERE endpoint_id = ? AND account_id = ?", [.text(endpointId), .text(accountId)])
        try await sql.execute("DELETE FROM webhook_endpoints WHERE id = ? AND account_id = ?", [.text(endpointId), .text(accountId)])
    }
}
