import Foundation
import Hummingbird
import TollgateDomain
import TollgateFormats
import TollgateStore

/// The seed tiers as presets: `GET /v1/policies/presets` lists them (every field a policy made
/// from one gets), and `POST /v1/policies/presets/{community|professional|enterprise}` with
/// `{"productId": …}` creates one as a policy of the product, adding the entitlement codes it
/// grants to the product's catalogue in the same transaction.
struct PresetController: Sendable {
    let policies: ResourceController<Policy>

    /// A preset as the list shows it: its name in the path, and every field a policy made
    /// from it gets (defaults filled in), without the product.
    static func view(of preset: PolicyPreset) throws -> [String: JSONValue] {
        let now = Date(timeIntervalSince1970: 0)
        let policy = try preset.draft(productId: "").validated(id: "", accountId: "", createdAt: now, now: now)
        guard case .object(var fields) = try APICoding.decode(JSONValue.self, from: APICoding.encode(PolicyDraft(policy))) else {
            throw TollgateError.internal
        }
        fields["productId"] = nil
        fields["preset"] = .string(preset.rawValue)
        return fields
    }

    func addRoutes(to group: RouterGroup<AuthenticatedContext>) {
        group.permitting(.catalogRead).get("policies/presets") { _, _ in
            let presets = try PolicyPreset.allCases.map(Self.view(of:))
            return try Response.json(PageBody(data: presets, nextCursor: nil))
        }
        group.permitting(.catalogWrite).post("policies/presets/:preset") { request, context in
            let name = try context.parameters.require("preset")
            guard let preset = PolicyPreset(rawValue: name) else {
                throw TollgateError.notFound(resource: "preset", id: name)
            }
            let body = try await JSONBody.read(request, limit: policies.limits.maxBodyBytes, allowedFields: ["productId"])
            struct Target: Decodable { var productId: String }
            let target = try body.decode(Target.self)
            let draft = preset.draft(productId: target.productId)
            let (accountId, actor) = (context.accountId, context.actor)
            let granted = Set(draft.entitlements ?? [])
            let entries = PolicyPreset.entitlementCatalogue.filter { granted.contains($0.code) }
            return try await policies.insert(draft, request: request, context: context, body: body) { session, now in
                guard try await session.products.find(id: target.productId, accountId: accountId) != nil else { return }
                try await EntitlementCatalogue.add(entries, productId: target.productId, accountId: accountId, actor: actor, session: session, now: now)
            }
        }
    }
}
