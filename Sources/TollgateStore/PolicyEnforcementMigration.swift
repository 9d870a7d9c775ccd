import Foundation

/// Migration 15's data step: stored policies gain `limitEnforcement` (none: every limit allows
/// overage, as usage was never refused before) and `rank` 0 (tiers then order by age, as
/// `GET /v1/products/{id}/tiers` listed them).
enum PolicyEnforcementMigration {
    static func run(_ sql: any SQLExecutor) async throws {
        for row in try await sql.query("SELECT id, data FROM policies ORDER BY id", []) {
            guard let id = row.string("id"), let text = row.string("data"),
                var policy = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
            else { continue }
            policy["limitEnforcement"] = policy["limitEnforcement"] ?? [String: String]()
            policy["rank"] = policy["rank"] ?? 0
            let rewritten = String(decoding: try JSONSerialization.data(withJSONObject: policy, options: [.sortedKeys]), as: UTF8.self)
            try await sql.execute("UPDATE policies SET data = ? WHERE id = ?", [.text(rewritten), .text(id)])
        }
    }
}
