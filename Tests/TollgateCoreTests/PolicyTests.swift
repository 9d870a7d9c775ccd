import Foundation
import Testing
import TollgateCore

@Suite struct PolicyTests {
    let now = Fixtures.now

    func build(_ preset: PolicyPreset) throws -> Policy {
        try preset.draft(productId: "prd_x").validated(id: "pol_x", accountId: Fixtures.accountId, createdAt: now, now: now)
    }

    @Test func communityPresetMatchesTheSeedTier() throws {
        let policy = try build(.community)
        #expect(policy.limits == UsageLimits(maxWorkflows: 5, executionsPerMonth: 1_000, concurrentExecutions: 1, requestsPerSecond: 10))
        #expect(!policy.cloudDeployment && policy.machineBinding == .nodeLocked && policy.maxMachines == 1 && policy.durationDays == nil)
    }

    @Test func professionalPresetMatchesTheSeedTier() throws {
        let policy = try build(.professional)
        #expect(policy.limits == UsageLimits(maxWorkflows: 100, executionsPerMonth: 100_000, concurrentExecutions: 10, requestsPerSecond: 100))
        #expect(policy.cloudDeployment && policy.offlineGraceDays == 30)
    }

    @Test func enterprisePresetMatchesTheSeedTier() throws {
        let policy = try build(.enterprise)
        #expect(policy.limits == UsageLimits(maxWorkflows: nil, executionsPerMonth: nil, concurrentExecutions: 100, requestsPerSecond: 1_000))
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
        PolicyDraft(productId: "p", name: "x", limits: UsageLimits(maxWorkflows: -1)), PolicyDraft(productId: "p", name: "x", gracePeriodDays: -1),
    ])
    func invalidDraftsNameTheirField(draft: PolicyDraft) {
        do {
            _ = try draft.validated(id: "pol", accountId: "acc", createdAt: now, now: now)
            Issue.record("accepted an invalid draft")
        } catch {
            #expect(error.field != nil)
        }
    }

    @Test func unknownLimitNameIsRejectedWhenDecoding() {
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(UsageLimits.self, from: Data(#"{"maxWorkflow":5}"#.utf8)) }
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
        let decoded = try JSONDecoder().decode([LimitName: LimitValue].self, from: Data(#"{"maxMachines":3,"maxWorkflows":"unlimited"}"#.utf8))
        #expect(decoded == [.maxMachines: .limited(3), .maxWorkflows: .unlimited])
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(LimitValue.self, from: Data(#""lots""#.utf8)) }
    }
}
