import Foundation
import HTTPTypes
import Testing
import TollgateDomain
import TollgateFormats
@testable import TollgateServer

@Suite struct OfflineTests {
    func verificationKeys(_ app: TestApp) -> (String) -> VerificationKey? {
        let keys = app.built.services.keys
        return { keys.verificationKey(id: $0) }
    }

    @Test func aMachineCheckOutIsASignedFileBoundToTheMachine() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            let license = try await client.license()
            let activated = try await client.activate(license.key, fingerprint: "fp-1").object
            let machine = (activated["machine"] as! [String: Any])["id"] as! String
            let reply = try await client.send(.post, "/v1/machines/\(machine)/actions/check-out", ["encrypt": true], token: activated["token"] as? String)
            #expect(reply.status == 201)
            let file = try #require(reply.object["file"] as? String)
            #expect(file.hasPrefix("-----BEGIN TOLLGATE LICENSE FILE-----"))
            #expect(!file.contains(license.id))
            let now = app.clock.now()
            let content = try LicenseFile.verify(file, now: now, licenseKey: license.key, fingerprint: "fp-1", keys: verificationKeys(app)).get()
            #expect(content.machine?.id == machine)
            #expect(content.license.status == "active")
            #expect(content.ttlSeconds == 30 * 86_400)
            #expect(LicenseFile.verify(file, now: now, licenseKey: license.key, fingerprint: "fp-2", keys: verificationKeys(app)) == .failure(.wrongMachineOrKey))
            #expect(try await client.auditActions().contains("machine.checked_out"))
        }
    }

    @Test func aLicenseCheckOutHonoursTheRequestedLifetimeAndRefusesASuspendedLicense() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            let license = try await client.license()
            let reply = try await client.send(.post, "/v1/licenses/\(license.id)/actions/check-out", ["ttlSeconds": 7200], licenseKey: license.key)
            #expect(reply.status == 201)
            let file = reply.object["file"] as! String
            let content = try LicenseFile.verify(file, now: app.clock.now(), keys: verificationKeys(app)).get()
            #expect(content.type == .license)
            #expect(content.ttlSeconds == 7200)
            #expect(LicenseFile.verify(file, now: app.clock.now().addingTimeInterval(7201), keys: verificationKeys(app)).isFailure)
            #expect(try await client.send(.post, "/v1/licenses/\(license.id)/actions/check-out", ["ttlSeconds": 60]).status == 422)
            try await client.send(.post, "/v1/licenses/\(license.id)/actions/suspend")
            #expect(try await client.send(.post, "/v1/licenses/\(license.id)/actions/check-out").errorCode == "SUSPENDED")
            #expect(try await client.auditActions().filter { $0 == "license.checked_out" }.count == 1)
        }
    }

    @Test func anAirGappedMachineActivatesAndDeactivatesThroughBlocks() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            let license = try await client.license(policy: ["name": "One", "maxMachines": 1])
            let requestText = try OfflineActivationRequest.make(licenseKey: license.key, fingerprint: "vault-7", name: "vault", now: app.clock.now())
            #expect(!requestText.contains(license.key))
            // Submitted from a connected machine with no credential: the proof is the credential.
            let reply = try await client.send(.post, "/v1/machines/offline-activations", ["request": requestText, "encrypt": true], token: nil)
            #expect(reply.status == 201)
            let file = reply.object["file"] as! String
            let content = try LicenseFile.verify(file, now: app.clock.now(), licenseKey: license.key, fingerprint: "vault-7", keys: verificationKeys(app)).get()
            let request = try #require(OfflineBlock<OfflineActivationRequest>.parse(requestText, label: OfflineActivationRequest.label))
            #expect(content.requestNonce == request.body.nonce)
            let machine = try #require(content.machine)
            let shown = try await client.send(.get, "/v1/machines/\(machine.id)").object
            #expect(shown["activatedOffline"] as? Bool == true)
            #expect(shown["status"] as? String == "alive")
            #expect(shown["deadAt"] == nil || shown["deadAt"] is NSNull)

            // Answered again, not activated twice.
            let again = try await client.send(.post, "/v1/machines/offline-activations", ["request": requestText], token: nil)
            #expect(again.status == 200)
            #expect((again.object["machine"] as! [String: Any])["id"] as? String == machine.id)
            #expect(try await client.activate(license.key, fingerprint: "other").errorCode == "MACHINE_LIMIT_EXCEEDED")

            // The air-gapped machine gives the seat back with a receipt.
            let receipt = try OfflineDeactivationReceipt.make(machineFile: content, licenseKey: license.key, now: app.clock.now())
            let freed = try await client.send(.post, "/v1/machines/offline-deactivations", ["receipt": receipt], token: nil)
            #expect(freed.status == 200)
            #expect(freed.object["deactivationReason"] as? String == "offline-receipt")
            #expect(try await client.send(.post, "/v1/machines/offline-deactivations", ["receipt": receipt], token: nil).status == 200)
            #expect(try await client.activate(license.key, fingerprint: "other").status == 201)
            // A used request does not bring the machine back.
            #expect(try await client.send(.post, "/v1/machines/offline-activations", ["request": requestText], token: nil).errorCode == "REQUEST_USED")
            let actions = try await client.auditActions()
            #expect(actions.contains("machine.activated_offline"))
            #expect(actions.contains("machine.deactivated"))
        }
    }

    @Test func offlineBlocksWithABadProofOrOutsideTheirTimeAreRefused() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            let license = try await client.license()
            let other = try await client.license()
            let before = try await client.auditCount()
            // Made with another license's key, naming this license.
            let decoded = try LicenseKey.decode(license.key).get().key
            let forged = try OfflineBlock(
                OfflineActivationRequest(licenseId: decoded.licenseId, fingerprint: "x", requestedAt: app.clock.now()),
                licenseKey: other.key, domain: OfflineActivationRequest.domain
            ).armored(label: OfflineActivationRequest.label)
            let refused = try await client.send(.post, "/v1/machines/offline-activations", ["request": forged], token: nil)
            #expect(refused.status == 401)
            #expect(refused.errorCode == "PROOF_INVALID")
            #expect(try await client.send(.post, "/v1/machines/offline-activations", ["request": "hello"], token: nil).errorCode == "REQUEST_MALFORMED")
            let old = try OfflineActivationRequest.make(licenseKey: license.key, fingerprint: "x", now: app.clock.now().addingTimeInterval(-31 * 86_400))
            #expect(try await client.send(.post, "/v1/machines/offline-activations", ["request": old], token: nil).errorCode == "REQUEST_EXPIRED")
            let future = try OfflineActivationRequest.make(licenseKey: license.key, fingerprint: "x", now: app.clock.now().addingTimeInterval(3600))
            #expect(try await client.send(.post, "/v1/machines/offline-activations", ["request": future], token: nil).errorCode == "REQUEST_IN_FUTURE")
            #expect(try await client.auditCount() == before)
        }
    }
}

extension Result {
    var isFailure: Bool {
        if case .failure = self { return true }
        return false
    }
}
