import Hummingbird
import TollgateClient

/// Lets a request through only when the license includes `feature`: 402 without a usable
/// license, 403 `FEATURE_NOT_ENTITLED` naming the feature, the current tier and the cheapest
/// tier that has it.
///
/// ```swift
/// router.group("sso").add(middleware: RequireEntitlement(client, "sso"))
/// ```
public struct RequireEntitlement<Context: RequestContext>: RouterMiddleware {
    public let client: TollgateClient
    public let feature: String

    public init(_ client: TollgateClient, _ feature: String) {
        self.client = client
        self.feature = feature
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            try client.require(feature)
        } catch TollgateClientError.licenseNotUsable(let state) {
            return LicenseDenial.licenseRequired(state).response
        } catch let missing as FeatureRequired {
            return LicenseDenial(
                status: .forbidden, code: .featureNotEntitled, message: missing.description,
                details: ["feature": .string(missing.feature), "currentTier": .string(missing.currentTier), "requiredTier": .string(missing.requiredTier)]
            ).response
        }
        return try await next(request, context)
    }
}
