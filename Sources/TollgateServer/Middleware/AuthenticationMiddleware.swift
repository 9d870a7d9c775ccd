import Hummingbird
import TollgateCore
import TollgateStore

/// Reads `Authorization: Bearer <token>`, finds the token by its hash and puts it in the
/// context. Read-only tokens may only `GET`.
struct AuthenticationMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let store: Store

    func handle(_ request: Request, context: AppRequestContext, next: (Request, AppRequestContext) async throws -> Response) async throws -> Response {
        guard let header = request.headers[.authorization] else {
            throw TollgateError.unauthorized(message: "This route needs an API token: send 'Authorization: Bearer <token>'.")
        }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer", !parts[1].isEmpty else {
            throw TollgateError.unauthorized(message: "The Authorization header must be 'Bearer <token>'.")
        }
        let hash = APIToken.hash(secret: String(parts[1]))
        guard let token = try await store.read({ try $0.tokens.find(secretHash: hash) }) else {
            throw TollgateError.unauthorized(message: "The API token is not valid.")
        }
        if token.scope == .readOnly, request.method != .get, request.method != .head {
            throw TollgateError.forbidden(message: "This token is read-only; changes need an admin token.")
        }
        var context = context
        context.token = token
        return try await next(request, context)
    }
}
