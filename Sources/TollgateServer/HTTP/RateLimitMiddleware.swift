import Hummingbird
import TollgateDomain
import TollgateStore

/// Holds each credential to its rate limit (``RateLimits``) and puts the `RateLimit-*` headers
/// on the answer, an error's too. Requests the portals make in process are not limited here
/// (a page makes several; sessions and sign-ins are limited instead).
struct RateLimitMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let limits: RateLimits
    let store: Store

    func handle(_ request: Request, context: AppRequestContext, next: (Request, AppRequestContext) async throws -> Response) async throws -> Response {
        guard limits.enabled, !context.inProcess, let credential = context.credential else { return try await next(request, context) }
        let decision: RateLimit.Decision
        switch credential {
        case .apiToken(let token):
            let perMinute = try await limits.tokenQuota(accountId: token.accountId, store: store)
            decision = try limits.take(limits.tokens, token.id, perMinute: perMinute, what: "API token")
        case .license(let licenseId, let accountId):
            guard let perMinute = try await limits.licenseQuota(licenseId: licenseId, accountId: accountId, store: store) else {
                return try await next(request, context)
            }
            decision = try limits.take(limits.licenses, licenseId, perMinute: perMinute, what: "license key")
        case .machine(let token):
            guard let perMinute = try await limits.licenseQuota(licenseId: token.license, accountId: token.account, store: store) else {
                return try await next(request, context)
            }
            decision = try limits.take(limits.machines, token.machine, perMinute: perMinute, what: "machine token")
        }
        do {
            var response = try await next(request, context)
            response.headers.append(contentsOf: decision.headers)
            return response
        } catch {
            throw ErrorWithHeaders(error: error, headers: decision.headers)
        }
    }
}
