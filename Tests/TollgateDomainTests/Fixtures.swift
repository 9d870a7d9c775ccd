import Foundation
import TollgateDomain
import TollgateFormats

enum Fixtures {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)
    static let accountId = "acc_01JD0000000000000000000000"

    static func policy(durationDays: Int? = 30, grace: Int = 7, strategy: ExpirationStrategy = .restrictAccess, entitlements: [String] = ["core"]) -> Policy {
        try! PolicyDraft(
            productId: Identifier.make(.product, at: now), name: "Pro", durationDays: durationDays, maxMachines: 3,
            entitlements: entitlements, limits: ["maxWorkflows": .limited(10)], gracePeriodDays: grace, expirationStrategy: strategy
        ).validated(id: Identifier.make(.policy, at: now), accountId: accountId, createdAt: now, now: now)
    }

    static func license(policy: Policy, state: LicenseState = .active, expiresAt: Date? = now.adding(days: 30)) -> License {
        License(
            id: Identifier.make(.license, at: now), accountId: accountId, productId: policy.productId, policyId: policy.id,
            customerId: Identifier.make(.customer, at: now), key: "", keyId: "00000000", state: state, expiresAt: expiresAt,
            limitOverrides: [:], extraEntitlements: [], metadata: [:], revocationVersion: 0, createdAt: now, updatedAt: now)
    }

    static func machinePolicy(
        maxMachines: Int? = 3, maxClusters: Int? = nil, maxNodes: Int? = nil, interval: Int = 60, grace: Int = 30, window: Int = 300,
        dead: DeadMachineStrategy = .deactivate
    ) -> Policy {
        try! PolicyDraft(
            productId: Identifier.make(.product, at: now), name: "Machines", maxMachines: maxMachines, maxClusters: maxClusters,
            maxNodesPerCluster: maxNodes, clusterDrainSeconds: 600, heartbeatIntervalSeconds: interval, heartbeatGraceSeconds: grace,
            resurrectionWindowSeconds: window, deadMachineStrategy: dead
        ).validated(id: Identifier.make(.policy, at: now), accountId: accountId, createdAt: now, now: now)
    }

    static func machine(_ fingerprint: String, policy: Policy, cluster: String? = nil, at time: Date = now) -> Machine {
        Machine(
            id: Identifier.make(.machine, at: time), accountId: accountId, licenseId: "lic_1", fingerprint: fingerprint, cluster: cluster,
            lastHeartbeatAt: time, deadAt: Machine.deadline(after: time, policy: policy, offline: false),
            cullWhenDead: policy.deadMachineStrategy == .deactivate, createdAt: time, updatedAt: time)
    }
}
