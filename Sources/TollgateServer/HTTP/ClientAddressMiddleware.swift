import HTTPTypes
import Hummingbird
import TollgateDomain

/// Takes the client's address from `X-Forwarded-For` when the peer is one of the configured
/// trusted proxies (`TOLLGATE_TRUSTED_PROXIES`, ``ClientAddress``); otherwise the peer's address
/// stands, whatever the request says. Rate limits, validation logs and audit entries see the result.
struct ClientAddressMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let trusted: [AddressRange]
    static let forwardedFor = HTTPField.Name("X-Forwarded-For")!

    func handle(_ request: Request, context: AppRequestContext, next: (Request, AppRequestContext) async throws -> Response) async throws -> Response {
        guard let forwarded = request.headers[values: Self.forwardedFor].joined(separator: ",").nilIfEmpty else { return try await next(request, context) }
        var context = context
        context.remoteAddress = ClientAddress.resolve(peer: context.remoteAddress, forwardedFor: forwarded, trusted: trusted)
        return try await next(request, context)
    }
}
