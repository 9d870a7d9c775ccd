import Hummingbird
import Logging
import TollgateCore
import TollgateStore

extension StoreError: StoreErrorConvertible {
    var tollgateError: TollgateError? {
        switch self {
        case .unavailable(let message): .unavailable(message: "The database is unavailable: \(message). Retry shortly.")
        case .duplicate: nil
        }
    }
}

/// Renders every error in the one JSON shape; an unexpected error is logged and answered
/// with a 500 that carries no internals.
struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    let maxBodyBytes: Int

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            if var known = TollgateError.from(error) {
                if case .payloadTooLarge = known { known = .payloadTooLarge(limit: maxBodyBytes) }
                if case .notFound(resource: "route", id: "") = known {
                    known = .malformed(code: "ROUTE_NOT_FOUND", message: "No route \(request.method) \(request.uri.path).")
                    return try Response.json(status: .notFound, raw: known.body)
                }
                return try known.response(from: request, context: context)
            }
            context.logger.error("Unhandled error", metadata: ["error": "\(String(reflecting: error))", "path": "\(request.uri.path)"])
            let internalError = TollgateError.malformed(code: "INTERNAL", message: "An internal error occurred; it has been logged.")
            return try Response.json(status: .internalServerError, raw: internalError.body)
        }
    }
}
