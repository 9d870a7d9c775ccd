import Foundation
import TollgateDomain
import TollgateFormats

/// Migration 8's data step: limits become the vendor's data.
///
/// - Stored policies had four fixed limits with `null` for unlimited; each becomes a limit code
///   of the same name (`null` → `"unlimited"`), `executionsPerMonth` gets the period `month`
///   it always meant, and the lease limit is `concurrentExecutions`, as before.
/// - Every entitlement code a policy or license grants (except `*`) enters its product's new
///   catalogue, so existing policies stay valid under the catalogue check.
/// License overrides need nothing: their codes and values are already in the new form.
enum VendorLimitsMigration {
    static func run(_ sql: any SQLExecutor, now: Int64) async throws {
        let createdAt = Date(timeIntervalSince1970: Double(now) / 1000)
        var catalogue: Set<[String]> = []
        for row in try await sql.query("SELECT id, account_id, product_id, data FROM policies ORDER BY id", []) {
            guard let id = row.string("id"), let accountId = row.string("account_id"), let productId = row.string("product_id"),
                let text = row.string("data"), var policy = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
            else { continue }
            var limits: [String: Any] = [:]
            for (code, value) in policy["limits"] as? [String: Any] ?? [:] { limits[code] = value is NSNull ? "unlimited" : value }
            policy["limits"] = limits
            policy["limitPeriods"] = limits["executionsPerMonth"] == nil ? [String: String]() : ["executionsPerMonth": "month"]
            policy["leaseLimit"] = LimitCodes.defaultLeaseLimit
            let rewritten = String(decoding: try JSONSerialization.data(withJSONObject: policy, options: [.sortedKeys]), as: UTF8.self)
            try await sql.execute("UPDATE policies SET data = ? WHERE id = ?", [.text(rewritten), .text(id)])
            for code in policy["entitlements"] as? [String] ?? [] { catalogue.insert([accountId, productId, code]) }
        }
        for row in try await sql.query("SELECT account_id, product_id, data FROM licenses", []) {
            guard let accountId = row.string("account_id"), let productId = row.string("product_id"), let text = row.string("data"),
                let license = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
            else { continue }
            for code in license["extraEntitlements"] as? [String] ?? [] { catalogue.insert([accountId, productId, code]) }
        }
        for entry in catalogue.sorted(by: { $0.lexicographicallyPrecedes($1) }) where entry[2] != Entitlements.all {
            let entitlement = Entitlement(
                id: Identifier.make(.entitlement, at: createdAt), accountId: entry[0], productId: entry[1], code: entry[2], description: "",
                createdAt: createdAt)
            try await sql.execute(
                "INSERT INTO entitlements (id, account_id, product_id, code, data) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                [.text(entitlement.id), .text(entry[0]), .text(entry[1]), .text(entry[2]), .text(try DocumentCoding.encode(entitlement))])
        }
    }
}
