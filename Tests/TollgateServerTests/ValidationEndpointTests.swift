import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import TollgateStore
import Logging
import Testing
import TollgateDomain
import TollgateFormats
@testable import TollgateServer

@Suite struct ValidationEndpointTests {
    @Test func validKeyAnswersValidWithASignedBodyAndEchoedNonce() async throws {
        let app = try await TestApp.make()
        let keys = app.built.services.keys
        try await app.run { client in
            let license = try await client.license()
            let reply = try await client.validate(license.key, nonce: "nonce-123")
            #expect(reply.status == 200)
            let body = reply.object
            #expect(body["valid"] as? Bool == true && body["code"] as? String == "VALID" && body["nonce"] as? String == "nonce-123")
            #expect((body["reasons"] as? [Any])?.isEmpty == true && body["serverTime"] as? String == "2027-01-15T08:00:00Z")
            let summary = try #require(body["license"] as? [String: Any])
            #expect(summary["tier"] as? String == "Professional" && summary["status"] as? String == "active")
            #expect((summary["limits"] as? [String: Any])?["maxWorkflows"] as? Int == 100)
            #expect((summary["entitlements"] as? [String])?.contains("cloud-deployment") == true)
            let header = try #require(reply.header(ResponseSignature.headerName))
            #expect(ResponseSignature.verify(reply.body, header: header, keys: keys.verificationKey(id:)))
            var forged = reply.body
            forged[forged.startIndex + 10] ^= 1
            #expect(!ResponseSignature.verify(forged, header: header, keys: keys.verificationKey(id:)))
        }
    }

    @Test func everyFailureCodeIsReachableOverHTTP() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            let license = try await client.license()
            func code(_ key: String, _ scope: [String: Any]? = nil) async throws -> String? {
                try await client.validate(key, scope: scope).object["code"] as? String
            }
            #expect(try await code("not a key") == "MISTYPED")
            var typo = Array(license.key)
            typo[50] = typo[50] == "A" ? "B" : "A"
            #expect(try await code(String(typo)) == "MISTYPED")
            let stranger = SigningKey.generate(accountId: "acc_x", now: Date())
            let forged = try LicenseKey(keyId: stranger.id, licenseId: license.id, productId: license.product, expiresAt: nil).signed(with: stranger)
            #expect(try await code(forged) == "BAD_SIGNATURE")
            let signer = try await app.built.services.keys.current(accountId: app.built.defaultAccount.id)
            let ghost = try LicenseKey(keyId: signer.id, licenseId: Identifier.make(.license), productId: license.product, expiresAt: nil).signed(with: signer)
            #expect(try await code(ghost) == "NOT_FOUND")
            #expect(try await code(license.key, ["productId": Identifier.make(.product)]) == "PRODUCT_SCOPE_MISMATCH")
            #expect(try await code(license.key, ["entitlements": ["sso"]]) == "ENTITLEMENTS_MISSING")
            #expect(try await code(license.key, ["fingerprint": "machine-1"]) == "NO_MACHINE")
            #expect(try await code(license.key, ["productId": license.product, "entitlements": ["core"]]) == "VALID")

            try await client.send(.post, "/v1/licenses/\(license.id)/actions/suspend")
            #expect(try await code(license.key) == "SUSPENDED")
            try await client.send(.post, "/v1/licenses/\(license.id)/actions/reinstate")
            app.clock.advance(days: 366)
            #expect(try await code(license.key) == "IN_GRACE_PERIOD")
            #expect(try await client.validate(license.key).object["valid"] as? Bool == true)
            app.clock.advance(days: 7)
            let expired = try await client.validate(license.key).object
            #expect(expired["code"] as? String == "EXPIRED")
            #expect((expired["license"] as? [String: Any])?["access"] as? String == "read-only")
            try await client.send(.post, "/v1/licenses/\(license.id)/actions/revoke")
            #expect(try await code(license.key) == "REVOKED")
        }
    }

    @Test func allFailingChecksAreListedNotJustTheFirst() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            let license = try await client.license()
            try await client.send(.post, "/v1/licenses/\(license.id)/actions/suspend")
            let body = try await client.validate(license.key, scope: ["productId": "prd_other", "entitlements": ["sso"]]).object
            let codes = (body["reasons"] as? [[String: Any]])?.compactMap { $0["code"] as? String }
            #expect(body["code"] as? String == "SUSPENDED")
            #expect(codes == ["SUSPENDED", "PRODUCT_SCOPE_MISMATCH", "ENTITLEMENTS_MISSING"])
        }
    }

    @Test func validationsAreLoggedInBatchesWithWhoWhenAndResult() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            let license = try await client.license()
            for _ in 0..<3 { try await client.validate(license.key) }
            try await client.send(.post, "/v1/licenses/\(license.id)/actions/suspend")
            try await client.validate(license.key)
            await app.built.flushValidationLog()
            let log = try await client.send(.get, "/v1/licenses/\(license.id)/validations").list
            #expect(log.count == 4)
            #expect(log.first?["code"] as? String == "SUSPENDED" && log.first?["valid"] as? Bool == false)
            #expect(log.last?["occurredAt"] as? String == "2027-01-15T08:00:00Z")
        }
    }

    @Test func malformedValidationBodiesAnswer4xxInTheErrorShape() async throws {
        let app = try await TestApp.make(maxBodyBytes: 2048)
        try await app.run { client in
            let cases: [(String, Int, String)] = [
                ("{", 400, "MALFORMED_JSON"), ("[]", 400, "MALFORMED_JSON"), ("{}", 422, "MISSING_FIELD"),
                (#"{"key": 5}"#, 422, "INVALID_TYPE"), (#"{"key":"x","scope":{"entitlements":"sso"}}"#, 422, "INVALID_TYPE"),
                (#"{"key":"x","nonce":"\#(String(repeating: "n", count: 300))"}"#, 422, "VALIDATION_FAILED"),
                (#"{"key":"\#(String(repeating: "k", count: 4000))"}"#, 413, "PAYLOAD_TOO_LARGE"),
            ]
            for (raw, status, code) in cases {
                let reply = try await client.send(.post, "/v1/licenses/validate", token: nil, raw: raw)
                #expect(reply.status == status, "\(raw.prefix(40))")
                #expect(reply.errorCode == code, "\(raw.prefix(40)): \(reply.text)")
                #expect(reply.error["message"] is String)
            }
        }
    }
}
