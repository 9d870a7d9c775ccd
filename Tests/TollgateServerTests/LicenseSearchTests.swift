import Foundation
import HTTPTypes
import Testing
@testable import TollgateServer

/// `GET /v1/licenses?q=`: a key's first characters, a customer's name or email, a metadata value.
@Suite struct LicenseSearchTests {
    @Test func findsByKeyCustomerAndMetadataAndTakesWildcardsLiterally() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            let catalog = try await client.catalog()
            let initech = try await client.create("/v1/customers", ["name": "Initech", "email": "bill@initech.example"])["id"] as! String
            let first = try await client.create("/v1/licenses", ["policyId": catalog.policy, "customerId": catalog.customer, "metadata": ["seat": "Floor_3"]])
            let second = try await client.create("/v1/licenses", ["policyId": catalog.policy, "customerId": initech])
            func found(_ q: String) async throws -> [String] {
                let reply = try await client.send(.get, "/v1/licenses?q=\(q.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)")
                #expect(reply.status == 200, "\(q): \(reply.text)")
                return reply.list.compactMap { $0["id"] as? String }
            }
            let key = second["key"] as! String
            #expect(try await found(String(key.prefix(40)).lowercased()) == [second["id"] as! String])
            #expect(try await found("INITECH") == [second["id"] as! String], "the customer's name")
            #expect(try await found("bill@") == [second["id"] as! String], "the customer's email")
            #expect(try await found("floor_3") == [first["id"] as! String], "a metadata value")
            #expect(try await found("floor%3").isEmpty, "% is not a wildcard")
            #expect(try await found("floor_%").isEmpty, "nor _")
            #expect(try await found("nothing-like-this").isEmpty)
            let long = try await client.send(.get, "/v1/licenses?q=\(String(repeating: "a", count: 101))")
            #expect(long.status == 400 && long.error["field"] as? String == "q")
        }
    }
}

@Suite struct CustomerSearchTests {
    @Test func findsCustomersByNameEmailAndMetadata() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            let globex = try await client.create("/v1/customers", ["name": "Globex Corporation", "email": "it@globex.example", "metadata": ["region": "EMEA_1"]])
            _ = try await client.create("/v1/customers", ["name": "Initech"])
            func found(_ q: String) async throws -> [String] {
                try await client.send(.get, "/v1/customers?q=\(q.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)").list.compactMap { $0["name"] as? String }
            }
            #expect(try await found("globex corp") == ["Globex Corporation"])
            #expect(try await found("IT@GLOBEX") == ["Globex Corporation"])
            #expect(try await found("emea_1") == ["Globex Corporation"])
            #expect(try await found("emea%").isEmpty)
            #expect(try await found("tech") == ["Initech"])
            #expect(globex["id"] != nil)
        }
    }
}
