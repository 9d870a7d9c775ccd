import Hummingbird
import TollgateCore
import TollgateStore

/// `POST /v1/policies/presets/{community|professional|enterprise}` with `{"productId": …}`:
/// creates the seed tier as a policy of the product.
struct PresetController: Sendable {
    let policies: ResourceController<Policy>

    func addRoutes(to group: RouterGroup<AuthenticatedContext>) {
        group.post("policies/presets/:preset") { request, context in
            let name = try context.parameters.require("preset")
            guard let preset = PolicyPreset(rawValue: name) else {
                throw TollgateError.notFound(resource: "preset", id: name)
            }
            let body = try await JSONBody.read(request, limit: policies.limits.maxBodyBytes, allowedFields: ["productId"])
            struct Target: Decodable { var productId: String }
            let target = try body.decode(Target.self)
            return try await policies.insert(preset.draft(productId: target.productId), request: request, context: context, body: body)
        }
    }
}
