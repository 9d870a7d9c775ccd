import Foundation
import TollgateCore

enum Fixtures {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)
    static let accountId = "acc_01JD0000000000000000000000"

    static func policy(durationDays: Int? = 30, grace: Int = 7, strategy: ExpirationStrategy = .restrictAccess, entitlements: [String] = ["core"]) -> Policy {
        try! PolicyDraft(
            productId: Identifier.make(.product, at: now), name: "Pro", durationDays: durationDays, maxMachines: 3,
            entitlements: entitlements, limits: UsageLimits(maxWorkflows: 10), gracePeriodDays: grace, expirationStrategy: strategy
        ).validated(id: Identifier.make(.policy, at: now), accountId: accountId, createdAt: now, now: now)
    }

    static func license(policy: Policy, state: LicenseState = .active, expiresAt: Date? = now.adding(days: 30)) -> License {
        License(
            id: Identifier.make(.license, at: now), accountId: accountId, productId: policy.productId, policyId: policy.id,
            customerId: Identifier.make(.customer, at: now), key: "", keyId: "00000000", state: state, expiresAt: expiresAt,
            limitOverrides: [:], extraEntitlements: [], metadata: [:], revocationVersion: 0, createdAt: now, updatedAt: now)
    }
}
