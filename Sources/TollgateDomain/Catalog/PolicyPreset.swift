import TollgateFormats
/// The three tiers from the seeds, ready to apply to a product in one command
/// (`tollgate policies preset professional --product prd_…`).
///
/// Limits (codes `maxWorkflows`, `executionsPerMonth` (period `month`), `concurrentExecutions` (the
/// lease limit), `requestsPerSecond`) are ordinary vendor limits; `GET /v1/policies/presets` serves them.
///
/// | preset | workflows | executions/month | concurrent | requests/s | cloud | duration | machines | API requests/min |
/// |---|---|---|---|---|---|---|---|---|
/// | community | 5 | 1,000 | 1 | 10 | no | perpetual | 1 (node-locked) | 600 |
/// | professional | 100 | 100,000 | 10 | 100 | yes | 365 days | 5 | 6,000 |
/// | enterprise | unlimited | unlimited | 100 | 1,000 | yes | 365 days | unlimited | 60,000 |
///
/// `apiRequestsPerMinute` (what this server allows each license key and machine token) is the
/// seed's requests per second times 60.
public enum PolicyPreset: String, APIEnum {
    case community, professional, enterprise

    /// The preset as a draft for `productId`.
    public func draft(productId: String) -> PolicyDraft {
        switch self {
        case .community:
            PolicyDraft(
                productId: productId, name: "Community", durationDays: nil, machineBinding: .nodeLocked,
                entitlements: ["core"],
                limits: Self.limits(workflows: 5, executionsPerMonth: 1_000, concurrent: 1, requestsPerSecond: 10),
                limitPeriods: Self.periods,
                cloudDeployment: false, gracePeriodDays: 0, offlineGraceDays: 30, expirationStrategy: .restrictAccess,
                apiRequestsPerMinute: 600, metadata: ["preset": rawValue])
        case .professional:
            PolicyDraft(
                productId: productId, name: "Professional", durationDays: 365, machineBinding: .floating, maxMachines: 5,
                entitlements: ["core", "cloud-deployment", "api-access", "priority-support"],
                limits: Self.limits(workflows: 100, executionsPerMonth: 100_000, concurrent: 10, requestsPerSecond: 100),
                limitPeriods: Self.periods,
                cloudDeployment: true, gracePeriodDays: 7, offlineGraceDays: 30, expirationStrategy: .keepReadOnly,
                apiRequestsPerMinute: 6_000, metadata: ["preset": rawValue])
        case .enterprise:
            PolicyDraft(
                productId: productId, name: "Enterprise", durationDays: 365, machineBinding: .floating, maxMachines: nil,
                entitlements: [Entitlements.all],
                limits: Self.limits(workflows: nil, executionsPerMonth: nil, concurrent: 100, requestsPerSecond: 1_000),
                limitPeriods: Self.periods,
                cloudDeployment: true, gracePeriodDays: 14, offlineGraceDays: 30, expirationStrategy: .keepReadOnly,
                apiRequestsPerMinute: 60_000, metadata: ["preset": rawValue])
        }
    }

    /// The seed's four limits under the codes the presets have always used.
    static func limits(workflows: Int?, executionsPerMonth: Int?, concurrent: Int?, requestsPerSecond: Int?) -> [String: LimitValue] {
        [
            "maxWorkflows": LimitValue(workflows), "executionsPerMonth": LimitValue(executionsPerMonth),
            LimitCodes.defaultLeaseLimit: LimitValue(concurrent), "requestsPerSecond": LimitValue(requestsPerSecond),
        ]
    }

    static let periods: [String: LimitPeriod] = ["executionsPerMonth": .month]

    /// The entitlement codes the presets grant, with the descriptions the catalogue gets when a
    /// preset is applied to a product.
    public static let entitlementCatalogue: [(code: String, description: String)] = [
        ("core", "The product's core features."),
        ("cloud-deployment", "Deploying the product to a cloud."),
        ("api-access", "Access to the product's API."),
        ("priority-support", "Priority support."),
    ]
}
