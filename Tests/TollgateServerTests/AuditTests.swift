import Foundation
import GRDB
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import TollgateStore
import Logging
import Testing
@testable import TollgateServer

@Suite struct AuditTests {
    @Test func everyChangeIsAuditedWithDigests() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            let license = try await client.license()
            try await client.send(.post, "/v1/licenses/\(license.id)/actions/suspend")
            let events = try await client.send(.get, "/v1/audit-events?objectId=\(license.id)").list
            #expect(events.map { $0["action"] as! String } == ["license.suspended", "license.created"])
            #expect(events[0]["beforeDigest"] as? String == events[1]["afterDigest"] as? String)
            #expect((events[0]["actor"] as? String)?.hasPrefix("tok_") == true)
            let all = try await client.send(.get, "/v1/audit-events?limit=100").list.map { $0["action"] as! String }
            #expect(all.reversed().prefix(2) == ["account.created", "token.created"])
        }
    }

    /// Raw SQL past the application: through a second connection to the SQLite file, or straight
    /// through the PostgreSQL driver when the suite runs on PostgreSQL.
    func tamper(_ app: TestApp, _ statements: String...) async throws {
        if app.configuration.databaseURL != nil {
            try await app.built.services.store.database.write { sql in for statement in statements { try await sql.execute(statement) } }
        } else {
            let queue = try DatabaseQueue(path: app.configuration.databasePath)
            try await queue.write { db in for statement in statements { try db.execute(sql: statement) } }
        }
    }

    /// Edits, removes and reorders rows directly in the database; the verifier names the entry.
    @Test func tamperingWithTheDatabaseIsDetected() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            let license = try await client.license()
            try await client.send(.post, "/v1/licenses/\(license.id)/actions/suspend")
            let intact = try await client.send(.get, "/v1/audit-events/verify").object
            // Account, token, the first owner's invitation, product, four catalogue codes of the
            // preset, policy, customer, license, suspension.
            #expect(intact["valid"] as? Bool == true && intact["checked"] as? Int == 12)

            try await tamper(app, "UPDATE audit_events SET action = 'license.reinstated' WHERE sequence = 12")
            let edited = try await client.send(.get, "/v1/audit-events/verify").object
            #expect(edited["valid"] as? Bool == false && edited["firstBrokenSequence"] as? Int == 12)
            #expect((edited["reason"] as? String)?.contains("changed") == true)

            try await tamper(
                app, "UPDATE audit_events SET action = 'license.suspended' WHERE sequence = 12", "DELETE FROM audit_events WHERE sequence = 4")
            let removed = try await client.send(.get, "/v1/audit-events/verify").object
            #expect(removed["valid"] as? Bool == false && removed["firstBrokenSequence"] as? Int == 4)

            try await tamper(app, "DELETE FROM audit_events WHERE sequence >= 4")
            let truncated = try await client.send(.get, "/v1/audit-events/verify").object
            #expect(truncated["valid"] as? Bool == false && truncated["firstBrokenSequence"] as? Int == 4)
        }
    }
}
