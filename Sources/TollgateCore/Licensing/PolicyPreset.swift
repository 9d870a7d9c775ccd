/// The three tiers from the seeds, ready to apply to a product in one command
/// (`tollgate policies preset professional --product prd_…`).
///
/// | preset | workflows | executions/month | concurrent | requests/s | cloud | duration | machines |
/// |---|---|---|---|---|---|---|---|
/// | community | 5 | 1,000 | 1 | 10 | no | perpetual | 1 (node-locked) |
/// | professional | 100 | 100,000 | 10 | 100 | yes | 365 days | 5 |
/// | enterprise | unlimited | unlimited | 100 | 1,000 | yes | 365 days | unlimited |
public enum PolicyPreset: String, APIEnum {
    case community, professional, enterprise

    /// The preset as a draft for `productId`.
    public func draft(productId: String) -> PolicyDraft {
        switch self {
        case .community:
            PolicyDraft(
                productId: productId, name: "Community", durationDays: nil, machineBinding: .nodeLocked,
                entitlements: ["core"],
                limits: UsageLimits(maxWorkflows: 5, executionsPerMonth: 1_000, concurrentExecutions: 1, requestsPerSecond: 10),
                cloudDeployment: false, gracePeriodDays: 0, offlineGraceDays: 30, expirationStrategy: .restrictAccess,
                metadata: ["preset": rawValue])
        case .professional:
            PolicyDraft(
                productId: productId, name: "Professional", durationDays: 365, machineBinding: .floating, maxMachines: 5,
                entitlements: ["core", "cloud-deployment", "api-access", "priority-support"],
                limits: UsageLimits(maxWorkflows: 100, executionsPerMonth: 100_000, concurrentExecutions: 10, requestsPerSecond: 100),
                cloudDeployment: true, gracePeriodDays: 7, offlineGraceDays: 30, expirationStrategy: .keepReadOnly,
                metadata: ["preset": rawValue])
        case .enterprise:
            PolicyDraft(
                productId: productId, name: "Enterprise", durationDays: 365, machineBinding: .floating, maxMachines: nil,
                entitlements: [Entitlements.all],
                limits: UsageLimits(maxWorkflows: nil, executionsPerMonth: nil, concurrentExecutions: 100, requestsPerSecond: 1_000),
                cloudDeployment: true, gracePeriodDays: 14, offlineGraceDays: 30, expirationStrategy: .keepReadOnly,
                metadata: ["preset": rawValue])
        }
    }
}
