import Foundation

/// A data step that gives a table's stored documents the fields a new version added, with the
/// value that keeps their old behaviour; documents that have a field keep theirs.
///
/// - Migration 15: policies gain `limitEnforcement` (none: every limit allows overage, as usage
///   was never refused before) and `rank` 0 (tiers then order by age, as
///   `GET /v1/products/{id}/tiers` listed them).
/// - Migration 16: meters gain `percentiles` false (no distribution was kept), `kind` `usage`
///   and no `allowedProperties`; policies gain `telemetry` false (no license opted in).
enum DocumentDefaultsMigration {
    static func run(_ sql: any SQLExecutor, table: String, defaults: [String: Any]) async throws {
        for row in try await sql.query("SELECT id, data FROM \(table) ORDER BY id", []) {
            guard let id = row.string("id"), let text = row.string("data"),
                var document = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
            else { continue }
            for (key, value) in defaults where document[key] == nil { document[key] = value }
            let rewritten = String(decoding: try JSONSerialization.data(withJSONObject: document, options: [.sortedKeys]), as: UTF8.self)
            try await sql.execute("UPDATE \(table) SET data = ? WHERE id = ?", [.text(rewritten), .text(id)])
        }
    }
}
