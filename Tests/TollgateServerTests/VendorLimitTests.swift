import Foundation
import HTTPTypes
import Testing
import TollgateDomain
import TollgateFormats
@testable import TollgateServer

/// Limits are the vendor's codes: they travel from the policy, through a license's override, to
/// the validation answer, the machine token and the license file.
@Suite struct VendorLimitTests {
    /// The claims of a JWT, without verifying it (the PyJWT test and the SDK tests verify).
    func claims(of token: String) throws -> [String: Any] {
        let payload = try #require(Base64URL.decode(String(token.split(separator: ".")[1])))
        return try #require(try JSONSerialization.jsonObject(with: payload) as? [String: Any])
    }

    @Test func aPolicysOwnLimitsWithALicenseOverrideReachTheAnswerTheTokenAndTheFile() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            let license = try await client.license(
                policy: [
                    "name": "CAD Studio", "maxMachines": 3, "limits": ["seats": 5, "gpu-hours": 100, "projects": "unlimited"],
                    "limitPeriods": ["gpu-hours": "month"], "leaseLimit": "seats",
                ],
                extra: ["limitOverrides": ["gpu-hours": 250]])
            let expected: [String: Any] = ["seats": 5, "gpu-hours": 250, "projects": "unlimited", "maxMachines": 3]

            let answer = try await client.validate(license.key).object["license"] as! [String: Any]
            #expect(NSDictionary(dictionary: answer["limits"] as! [String: Any]) == NSDictionary(dictionary: expected))
            #expect(answer["limitPeriods"] as? [String: String] == ["gpu-hours": "month"])

            let activated = try await client.activate(license.key, fingerprint: "ws-1").object
            let token = try claims(of: activated["token"] as! String)
            #expect(NSDictionary(dictionary: token["limits"] as! [String: Any]) == NSDictionary(dictionary: expected))
            #expect(token["limitPeriods"] as? [String: String] == ["gpu-hours": "month"] && token["ver"] as? Int == 2)

            let machine = (activated["machine"] as! [String: Any])["id"] as! String
            let checkOut = try await client.send(.post, "/v1/machines/\(machine)/actions/check-out", licenseKey: license.key).object
            let content = try LicenseFile.verify(checkOut["file"] as! String, now: app.clock.now(), keys: { [keys = app.built.services.keys] in keys.verificationKey(id: $0) }).get()
            #expect(content.version == 2)
            #expect(content.license.limits["gpu-hours"] == .limited(250) && content.license.limits["projects"] == .unlimited)
            #expect(content.license.limits.maxMachines == 3 && content.license.limits.period(of: "gpu-hours") == .month)

            // The lease limit is the policy's 'seats': five leases, then 409.
            for _ in 0..<5 { #expect(try await client.send(.post, "/v1/licenses/\(license.id)/leases", [:], licenseKey: license.key).status == 201) }
            let sixth = try await client.send(.post, "/v1/licenses/\(license.id)/leases", [:], licenseKey: license.key)
            #expect(sixth.errorCode == "CONCURRENCY_LIMIT_EXCEEDED")

            // A typo in an override is refused, naming the code.
            let typo = try await client.send(.patch, "/v1/licenses/\(license.id)", ["limitOverrides": ["gpu-hour": 1]])
            #expect(typo.status == 422 && typo.errorCode == "UNKNOWN_LIMIT" && typo.error["field"] as? String == "limitOverrides.gpu-hour")
        }
    }

    @Test func presetsAreServedAndTiersListTheProductsPoliciesToItsLicenses() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            let presets = try await client.send(.get, "/v1/policies/presets").list
            #expect(presets.map { $0["preset"] as! String } == ["community", "professional", "enterprise"])
            #expect((presets[0]["limits"] as? [String: Any])?["executionsPerMonth"] as? Int == 1000)
            #expect(presets[0]["limitPeriods"] as? [String: String] == ["executionsPerMonth": "month"] && presets[0]["productId"] == nil)

            let license = try await client.license(preset: "community")
            _ = try await client.create("/v1/policies/presets/enterprise", ["productId": license.product])
            let tiers = try await client.send(.get, "/v1/products/\(license.product)/tiers", licenseKey: license.key)
            #expect(tiers.status == 200 && tiers.list.map { $0["name"] as! String } == ["Community", "Enterprise"])
            #expect((tiers.list[1]["limits"] as? [String: Any])?["maxWorkflows"] as? String == "unlimited")
            // A license of another product sees nothing of this one.
            let other = try await client.license()
            #expect(try await client.send(.get, "/v1/products/\(license.product)/tiers", licenseKey: other.key).status == 404)
        }
    }
}
