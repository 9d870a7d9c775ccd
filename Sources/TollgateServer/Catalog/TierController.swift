import Foundation
import Hummingbird
import TollgateDomain
import TollgateFormats
import TollgateStore

/// `GET /v1/products/{id}/tiers`: the product's policies as an app's upgrade prompts need them
/// (name, entitlements, limits), by `rank`, then in creation order — rank tiers cheapest first
/// (or create them so, as the presets do). Any credential of the product may read it: an API token of the account, or a license key
/// or machine token of a license of the product. The SDKs answer `tierWithMore` from it.
struct TierController: Sendable {
    let store: Store
    let clock: any TollgateClock

    /// One tier as apps see it.
    struct Tier: Encodable, Sendable {
        var policyId: String
        var name: String
        var entitlements: [String]
        var limits: [String: LimitValue]
        var limitPeriods: [String: LimitPeriod]
        /// `nil`: unlimited.
        var maxMachines: Int?
        var rank: Int

        init(_ policy: Policy) {
            policyId = policy.id
            name = policy.name
            entitlements = policy.entitlements
            limits = policy.limits
            limitPeriods = policy.limitPeriods
            maxMachines = policy.maxMachines
            rank = policy.rank
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(policyId, forKey: .policyId)
            try container.encode(name, forKey: .name)
            try container.encode(entitlements, forKey: .entitlements)
            try container.encode(limits, forKey: .limits)
            try container.encode(limitPeriods, forKey: .limitPeriods)
            try container.encode(maxMachines, forKey: .maxMachines)
            try container.encode(rank, forKey: .rank)
        }

        enum CodingKeys: String, CodingKey { case policyId, name, entitlements, limits, limitPeriods, maxMachines, rank }
    }

    func addRoutes(to group: RouterGroup<MachineRouteContext>) {
        group.permitting(.catalogRead).get("products/:id/tiers") { _, context in
            let productId = try context.parameters.require("id")
            let credential = context.credential
            let now = clock.now()
            let tiers = try await store.read { session -> [Tier] in
                guard try await session.products.find(id: productId, accountId: credential.accountId) != nil else {
                    throw TollgateError.notFound(resource: "product", id: productId)
                }
                switch credential {
                case .apiToken: break
                case .license(let licenseId, let accountId):
                    guard try await session.licenses.find(id: licenseId, accountId: accountId)?.productId == productId else {
                        throw TollgateError.notFound(resource: "product", id: productId)
                    }
                case .machine(let token):
                    guard token.product == productId else { throw TollgateError.notFound(resource: "product", id: productId) }
                    // A revoked token is refused here as on every route that takes one.
                    _ = try await MachineActivator.loadMachine(token.machine, credential: credential, session: session, now: now)
                }
                return try await session.policies.tiers(accountId: credential.accountId, productId: productId).map(Tier.init)
            }
            return try Response.json(PageBody(data: tiers, nextCursor: nil))
        }
    }
}
