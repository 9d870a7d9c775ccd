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

@Suite struct OperationsTests {
    @Test func healthReadinessAndMetricsAnswer() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            #expect(try await client.send(.get, "/healthz", token: nil).object["status"] as? String == "ok")
            #expect(try await client.send(.get, "/readyz", token: nil).object["status"] as? String == "ready")
            let license = try await client.license()
            try await client.validate(license.key)
            try await client.validate("junk")
            let metrics = try await client.send(.get, "/metrics", token: nil).text
            #expect(metrics.contains(#"tollgate_validations_total{code="VALID"}"#))
            #expect(metrics.contains(#"tollgate_validations_total{code="MISTYPED"}"#))
            #expect(metrics.contains("tollgate_http_requests_total{"))
            #expect(metrics.contains(#"route="/v1/licenses/validate""#))
            #expect(metrics.contains("tollgate_http_request_duration_seconds_bucket"))
        }
    }

    @Test func aGoneDatabaseAnswers503WithRetryAfter() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            try await app.built.services.store.database.close()
            let reply = try await client.send(.get, "/readyz", token: nil)
            #expect(reply.status == 503 && reply.header("Retry-After") == "2")
            // As the README promises: 503 with Retry-After, in the one error shape.
            let write = try await client.send(.post, "/v1/customers", ["name": "x"])
            #expect(write.status == 503 && write.header("Retry-After") == "2" && write.errorCode == "STORE_UNAVAILABLE", "\(write.status) \(write.text)")
            let read = try await client.send(.get, "/v1/customers")
            #expect(read.status == 503 && read.header("Retry-After") == "2", "\(read.status) \(read.text)")
        }
    }

    @Test func jwksPublishesLiveKeysAndRotationKeepsOldLicensesValid() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            let before = try await client.license()
            let rotated = try await client.send(.post, "/v1/keys/actions/rotate")
            #expect(rotated.status == 201)
            let newKid = rotated.object["kid"] as! String
            let after = try await client.license()
            #expect(after.key != before.key)
            let jwks = try JSONDecoder().decode(JWKS.self, from: try await client.send(.get, "/.well-known/jwks.json", token: nil).body)
            #expect(jwks.keys.count == 2 && jwks.keys.contains { $0.kid == newKid })
            let lookup: (String) -> VerificationKey? = { kid in jwks.verificationKeys.first { $0.id == kid } }
            #expect(try LicenseKey.verify(after.key, keys: lookup).get().keyId == newKid)
            #expect(try LicenseKey.verify(before.key, keys: lookup).get().keyId != newKid)
            #expect(try await client.validate(before.key).object["code"] as? String == "VALID")

            let oldKid = try LicenseKey.verify(before.key, keys: lookup).get().keyId
            let retired = try await client.send(.post, "/v1/keys/\(oldKid)/actions/retire")
            #expect(retired.object["status"] as? String == "retired")
            #expect(try await client.validate(before.key).object["code"] as? String == "BAD_SIGNATURE")
            #expect(try await client.validate(after.key).object["code"] as? String == "VALID")
            #expect(try await client.send(.post, "/v1/keys/\(newKid)/actions/retire").errorCode == "KEY_IS_LAST")
            #expect(try await client.send(.post, "/v1/keys/\(oldKid)/actions/retire").errorCode == "KEY_ALREADY_RETIRED")
            let keys = try await client.send(.get, "/v1/keys").list
            #expect(keys.count == 2 && keys.allSatisfy { ($0["publicKeyPem"] as? String)?.hasPrefix("-----BEGIN PUBLIC KEY-----") == true })
        }
    }
}
