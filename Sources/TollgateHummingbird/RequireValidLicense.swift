import Hummingbird
import TollgateClient

/// Lets a request through only while the client's state allows use (valid, or offline within
/// its window or grace); otherwise answers 402 `LICENSE_REQUIRED`. Reads memory only.
///
/// ```swift
/// router.add(middleware: RequireValidLicense(client))
/// ```
public struct RequireValidLicense<Context: RequestContext>: RouterMiddleware {
    public let client: TollgateClient

    public init(_ client: TollgateClient) { self.client = client }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let state = client.state
        guard state.allowsUse else { return LicenseDenial.licenseRequired(state).response }
        return try await next(request, context)
    }
}
