import Foundation
import Hummingbird
import TollgateDomain
import TollgateFormats
import TollgateStore

/// Reads the `Authorization` header and puts the credential in the context:
/// - `Bearer tga_…` / `Bearer tgr_…`: an API token, found by its hash, unless it has expired. What
///   its role may do is checked by each route (``Permit``).
/// - `Bearer eyJ…`: a machine's activation token (signature and expiry checked here).
/// - `License TG1-…`: a license key (signature checked here).
struct AuthenticationMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let store: Store
    let tokens: TokenService
    let licenseKeys: LicenseKeyVerifier
    let clock: any TollgateClock
    /// Counts failed license keys per client address (``RateLimits``).
    let limits: RateLimits
    let apiTokens = APITokenCache()
    let uses = TokenUseRecorder()

    func handle(_ request: Request, context: AppRequestContext, next: (Request, AppRequestContext) async throws -> Response) async throws -> Response {
        // A portal's request in process (APIDispatcher) comes authenticated; a request from the
        // network never has a credential before this point.
        if context.credential != nil { return try await next(request, context) }
        guard let header = request.headers[.authorization] else {
            throw TollgateError.unauthorized(message: "This route needs a credential: send 'Authorization: Bearer <token>'.")
        }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, !parts[1].isEmpty else {
            throw TollgateError.unauthorized(message: "The Authorization header must be 'Bearer <token>' or 'License <key>'.")
        }
        // Spaces and tabs around the credential, dropped byte by byte: Foundation's
        // `trimmingCharacters` goes through NSString on Linux, about 40 µs per request for a
        // machine token (measured: `perf` of the server during `scripts/bench/machines`).
        let bytes = parts[1].utf8
        let start = bytes.firstIndex { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\t") } ?? bytes.endIndex
        let end = bytes.lastIndex { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\t") }.map(bytes.index(after:)) ?? start
        let secret = String(parts[1][start..<end])
        var context = context
        switch parts[0].lowercased() {
        case "bearer" where TokenService.looksLikeJWT(secret):
            context.credential = .machine(try await tokens.verify(secret, now: clock.now()))
        case "bearer":
            let (store, hash) = (self.store, APIToken.hash(secret: secret))
            guard let token = try await apiTokens.token(hash: hash, store: store, read: { try await store.read { try await $0.tokens.find(secretHash: hash) } })
            else {
                throw TollgateError.unauthorized(message: "The API token is not valid.")
            }
            let now = clock.now()
            if token.isExpired(at: now) {
                throw TollgateError.unauthorized(message: "The API token has expired.")
            }
            uses.note(token, store: store, now: now)
            context.credential = .apiToken(token)
        case "license":
            try limits.checkFailures(address: context.remoteAddress)
            switch await licenseKeys.verify(secret) {
            case .success(let (key, accountId?)):
                context.credential = .license(licenseId: key.licenseId, accountId: accountId)
            case .success, .failure:
                limits.noteFailure(address: context.remoteAddress)
                throw TollgateError.unauthorized(code: LicenseCode.licenseKeyInvalid, message: "The license key is not valid: mistyped or not signed by this server.")
            }
        default:
            throw TollgateError.unauthorized(message: "The Authorization header must be 'Bearer <token>' or 'License <key>'.")
        }
        return try await next(request, context)
    }
}
