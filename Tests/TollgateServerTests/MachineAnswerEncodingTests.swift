import Foundation
import Testing
import TollgateDomain
import TollgateFormats
@testable import TollgateServer

@Suite struct MachineAnswerEncodingTests {
    @Test func theHotPathWriterSaysWhatTheAPIEncoderSays() throws {
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let policy = try PolicyDraft(
            productId: "prd_1", name: "Pro", durationDays: 30, entitlements: ["sso"],
            limits: ["maxWorkflows": .limited(10), "gpu-hours": .unlimited], limitPeriods: ["gpu-hours": .month])
            .validated(id: "pol_1", accountId: "acc_1", createdAt: now, now: now)
        let license = License(
            id: "lic_1", accountId: "acc_1", productId: "prd_1", policyId: "pol_1", customerId: "cus_1", key: "TG1-X", keyId: "00000000",
            state: .active, expiresAt: now.addingTimeInterval(86_400), limitOverrides: ["maxWorkflows": .limited(3)], extraEntitlements: [],
            metadata: [:], revocationVersion: 2, createdAt: now, updatedAt: now)
        for (cluster, usage) in [(nil, nil), ("blue", [("gpu-hours", Int64(2_500_000)), ("exports", 7_000_000)])] as [(String?, [(code: String, used: Int64)]?)] {
            let machine = Machine(
                id: "mch_1", accountId: "acc_1", licenseId: "lic_1", fingerprint: "fp \"quoted\"", name: "n", cores: 4, cluster: cluster,
                lastHeartbeatAt: now, deadAt: now.addingTimeInterval(720), cullWhenDead: true, createdAt: now, updatedAt: now)
            var summary = LicenseSummary(license, policy: policy, now: now)
            summary.usage = usage
            let answer = MachineAnswer(
                machine: MachineView(machine, policy: policy, now: now), license: summary,
                valid: true, code: .valid, token: "eyJ.x.y", tokenExpiresAt: now.addingTimeInterval(900))
            let written = try JSONSerialization.jsonObject(with: Data(answer.json))
            let encoded = try JSONSerialization.jsonObject(with: APICoding.encode(answer))
            #expect(NSDictionary(dictionary: written as! [String: Any]) == NSDictionary(dictionary: encoded as! [String: Any]))
            if usage != nil {
                #expect(((written as? [String: Any])?["license"] as? [String: Any])?["usage"] as? [String: Double] == ["gpu-hours": 2.5, "exports": 7])
            }
        }
    }
}
