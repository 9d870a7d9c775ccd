import Foundation
import Testing
import TollgateDomain
import TollgateFormats

@Suite struct PolicyTests {
    let now = Fixtures.now

    func build(_ preset: PolicyPreset) throws -> Policy {
        try preset.draft(productId: "prd_x").validated(id: "pol_x", accountId: Fixtures.accountId, createdAt: now, now: now)
    }

    @Test func communityPresetMatchesTheSeedTier() throws {
        let policy = try build(.community)
        #expect(
            policy.limits == [
                "maxWorkflows": .limited(5), "executionsPerMonth": .limited(1_000), "concurrentExecutions": .limited(1), "requestsPerSecond": .limited(10),
            ])
        #expect(policy.limitPeriods == ["executionsPerMonth": .month] && policy.leaseLimit == "concurrentExecutions")
        #expect(!policy.cloudDeployment && policy.machineBinding == .nodeLocked && policy.maxMachines == 1 && policy.durationDays == nil)
    }

    @Test func professionalPresetMatchesTheSeedTier() throws {
        let policy = try build(.professional)
        #expect(
            policy.limits == [
                "maxWorkflows": .limited(100), "executionsPerMonth": .limited(100_000), "concurrentExecutions": .limited(10),
                "requestsPerSecond": .limited(100),
            ])
        #expect(policy.cloudDeployment && policy.offlineGraceDays == 30)
    }

    @Test func enterprisePresetMatchesTheSeedTier() throws {
        let policy = try build(.enterprise)
        #expect(
            policy.limits == [
                "maxWorkflows": .unlimited, "executionsPerMonth": .unlimited, "concurrentExecutions": .limited(100), "requestsPerSecond": .limited(1_000),
            ])
        #expect(policy.entitlements == [Entitlements.all] && policy.cloudDeployment)
    }

    @Test func defaultsAreFloatingUnlimitedThirtyDaysOffline() throws {
        let policy = try PolicyDraft(productId: "prd_x", name: "Basic").validated(id: "pol", accountId: "acc", createdAt: now, now: now)
        #expect(policy.machineBinding == .floating && policy.maxMachines == nil && policy.offlineGraceDays == 30)
        #expect(policy.expirationStrategy == .restrictAccess && policy.gracePeriodDays == 0 && policy.durationDays == nil)
    }

    @Test func nodeLockedPolicyRefusesMoreThanOneMachine() {
        let draft = PolicyDraft(productId: "prd_x", name: "Locked", machineBinding: .nodeLocked, maxMachines: 3)
        #expect(throws: TollgateError.self) { try draft.validated(id: "pol", accountId: "acc", createdAt: now, now: now) }
    }

    @Test(arguments: [
        PolicyDraft(productId: "p", name: ""), PolicyDraft(productId: "p", name: "x", durationDays: 0),
        PolicyDraft(productId: "p", name: "x", maxMachines: 0), PolicyDraft(productId: "p", name: "x", entitlements: ["Bad Code"]),
        PolicyDraft(productId: "p", name: "x", limits: ["seats": .limited(-1)]), PolicyDraft(productId: "p", name: "x", gracePeriodDays: -1),
        PolicyDraft(productId: "p", name: "x", limits: ["Seats": .limited(1)]), PolicyDraft(productId: "p", name: "x", limits: ["gpu hours": .limited(1)]),
        PolicyDraft(productId: "p", name: "x", limits: ["maxMachines": .limited(1)]),
        PolicyDraft(productId: "p", name: "x", limits: ["seats": .limited(1)], limitPeriods: ["gpu-hours": .month]),
        PolicyDraft(productId: "p", name: "x", limits: ["seats": .limited(1)], leaseLimit: "sets"),
        PolicyDraft(productId: "p", name: "x", limits: Dictionary(uniqueKeysWithValues: (0...64).map { ("l\($0)", LimitValue.limited(1)) })),
    ])
    func invalidDraftsNameTheirField(draft: PolicyDraft) {
        do {
            _ = try draft.validated(id: "pol", accountId: "acc", createdAt: now, now: now)
            Issue.record("accepted an invalid draft")
        } catch {
            #expect(error.field != nil)
        }
    }

    @Test func vendorLimitsKeepTheirCodesPeriodsAndLeaseLimit() throws {
        let policy = try PolicyDraft(
            productId: "prd_x", name: "CAD", limits: ["seats": .limited(5), "gpu-hours": .limited(100), "projects": .unlimited],
            limitPeriods: ["gpu-hours": .month, "seats": .none], leaseLimit: "seats"
        ).validated(id: "pol", accountId: "acc", createdAt: now, now: now)
        #expect(policy.limitPeriods == ["gpu-hours": .month])
        #expect(policy.leaseLimit == "seats")
        var license = Fixtures.license(policy: policy)
        license.limitOverrides = ["gpu-hours": .limited(500), "maxMachines": .limited(2)]
        let effective = license.effectiveLimits(policy: policy)
        #expect(effective["gpu-hours"] == .limited(500) && effective["seats"] == .limited(5) && effective["projects"] == .unlimited)
        #expect(effective.maxMachines == 2 && effective.period(of: "gpu-hours") == .month && effective["nothing"] == nil)
        #expect(throws: TollgateError.self) { try LicenseDraft.requireKnownOverrides(["gpu-hour": .limited(1)], policy: policy) }
        try LicenseDraft.requireKnownOverrides(["maxMachines": .limited(1), "seats": .unlimited], policy: policy)
    }

    @Test func unknownEnumValueErrorListsTheAllowedValues() {
        do {
            _ = try JSONDecoder().decode(MachineBinding.self, from: Data(#""cluster""#.utf8))
            Issue.record("accepted")
        } catch let DecodingError.dataCorrupted(context) {
            #expect(context.debugDescription.contains("'node-locked', 'floating'"))
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test func limitOverridesAcceptNumbersAndUnlimited() throws {
        let decoded = try JSONDecoder().decode([String: LimitValue].self, from: Data(#"{"maxMachines":3,"maxWorkflows":"unlimited","old":null}"#.utf8))
        #expect(decoded == ["maxMachines": .limited(3), "maxWorkflows": .unlimited, "old": .unlimited])
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(LimitValue.self, from: Data(#""lots""#.utf8)) }
    }
}
