import Hummingbird
import Logging
import NIOCore
import TollgateDomain
import TollgateFormats
import TollgateStore

/// Renders every error in the one JSON shape. Known errors keep their meaning; anything else
/// is logged and answered with a 500 that carries no internals. Refused machine tokens are
/// handed to the ``TokenRefusalLog`` on the way.
struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    let maxBodyBytes: Int
    let refusals: TokenRefusalLog

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            // A rate-limited request keeps its `RateLimit-*` headers on the error's answer.
            let (error, extra) = (error as? ErrorWithHeaders).map { ($0.error, $0.headers) } ?? (error, HTTPFields())
            let known = translate(error, request: request)
            if known == .internal {
                context.logger.error("Unhandled error", metadata: ["error": "\(String(reflecting: error))", "path": "\(request.uri.path)"])
            }
            var response = try known.response(from: request, context: context)
            for field in extra where response.headers[field.name] == nil { response.headers.append(field) }
            return response
        }
    }

    /// The API error for an error that escaped a handler.
    func translate(_ error: any Error, request: Request) -> TollgateError {
        switch error {
        case let error as TollgateError: return error
        case let refusal as TokenRefusal:
            refusals.record(refusal)
            return refusal.error
        case let error as LicenseTransitionError: return error.asError
        case let error as FormatError:
            if case .invalid(let field, let message) = error { return .invalid(field: field, message: message) }
            return .internal
        case is NIOTooManyBytesError: return .payloadTooLarge(limit: maxBodyBytes)
        case StoreError.unavailable(let message): return .unavailable(message: "The database is unavailable: \(message). Retry shortly.")
        case let error as HTTPError:
            switch error.status {
            case .notFound: return .routeNotFound(method: request.method.rawValue, path: request.uri.path)
            case .methodNotAllowed: return .malformed(code: RequestCode.methodNotAllowed, message: "This method is not allowed on this route.")
            case .contentTooLarge: return .payloadTooLarge(limit: maxBodyBytes)
            default:
                if (400..<500).contains(error.status.code) {
                    return .malformed(code: RequestCode.badRequest, message: error.body ?? error.status.reasonPhrase)
                }
                return .internal
            }
        default: return .internal
        }
    }
}
