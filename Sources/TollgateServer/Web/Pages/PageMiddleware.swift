import Foundation
import HTTPTypes
import Hummingbird
import Logging
import TollgateDomain

/// Every portal answer's security headers, and errors shown as pages rather than JSON.
///
/// Headers: a Content-Security-Policy that allows only this server's own styles and scripts (no
/// inline script or style), no framing (`frame-ancestors 'none'`, `X-Frame-Options: DENY`), no
/// sniffing, no referrer (invitation links carry secrets), no caching of pages, and HSTS behind TLS.
///
/// Errors: a ``PageRedirect`` becomes its redirect; a ``TollgateError`` a page with its status and
/// message (403 for a role that may not, 404, 429…); anything else a 500 page, logged.
struct PageMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let portal: String
    let renderer: PageRenderer
    let secure: Bool

    static let policy =
        "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response: Response
        do {
            response = try await next(request, context)
        } catch let redirect as PageRedirect {
            response = redirect.response
        } catch let error as TollgateError {
            response = page(for: error)
        } catch let error as HTTPError where error.status == .notFound {
            response = page(for: .routeNotFound(method: request.method.rawValue, path: request.uri.path))
        } catch {
            context.logger.error("A page failed", metadata: ["error": "\(String(reflecting: error))", "path": "\(request.uri.path)"])
            response = page(for: .internal)
        }
        response.headers[.contentSecurityPolicy] = Self.policy
        response.headers[.xFrameOptions] = "DENY"
        response.headers[.xContentTypeOptions] = "nosniff"
        response.headers[.referrerPolicy] = "no-referrer"
        if response.headers[.cacheControl] == nil { response.headers[.cacheControl] = "no-store" }
        if secure { response.headers[.strictTransportSecurity] = "max-age=31536000" }
        return response
    }

    func page(for error: TollgateError) -> Response {
        let title =
            switch error.status {
            case .forbidden: "Not allowed"
            case .notFound: "Not found"
            case .tooManyRequests: "Too many attempts"
            case .unauthorized: "Sign in again"
            default: error.status.code >= 500 ? "Something went wrong" : "That did not work"
            }
        var response = renderer.page(
            "message", frame: PageFrame(portal: portal, title: title),
            ["message": error.message, "link": ["href": "/\(portal)", "label": "Back to the start"]], status: error.status)
        if case .throttled(_, _, let seconds) = error { response.headers[.retryAfter] = "\(seconds)" }
        return response
    }
}

extension HTTPField.Name {
    static let xFrameOptions = Self("X-Frame-Options")!
    static let xContentTypeOptions = Self("X-Content-Type-Options")!
    static let referrerPolicy = Self("Referrer-Policy")!
}
