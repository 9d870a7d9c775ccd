import TollgateDomain
import TollgateFormats

/// API tokens, found by the keyed hash of their secret.
public struct TokenTable {
    let sql: any SQLExecutor

    public func insert(_ token: APIToken, secretHash: String) async throws {
        try await sql.execute(
            "INSERT INTO api_tokens (id, account_id, token_hash, created_at, data) VALUES (?, ?, ?, ?, ?)",
            [.text(token.id), .text(token.accountId), .text(secretHash), .integer(token.createdAt.epochMilliseconds),
             .text(try DocumentCoding.encode(token))])
    }

    /// The live token whose secret hashes to `secretHash`.
    public func find(secretHash: String) async throws -> APIToken? {
        guard let row = try await sql.queryOne("SELECT data FROM api_tokens WHERE token_hash = ? AND revoked_at IS NULL", [.text(secretHash)]),
            let data = row.string("data")
        else { return nil }
        return try DocumentCoding.decode(APIToken.self, from: data)
    }
}
