import Foundation
import Hummingbird
import TollgateDomain
import TollgateFormats
import TollgateStore

/// A signed-in portal user, as a page's handler sees it.
struct SignedIn: Sendable {
    var user: User
    var account: Account
    var csrf: String
    var sessionHash: String

    /// Who the page's API calls (``APIDispatcher``) are made as: the user's id (the audit's actor)
    /// and role. A customer user gets `support`'s role, and the customer portal calls only the
    /// routes it has first confined to the user's customer.
    var caller: APIToken {
        APIToken(id: user.id, accountId: user.accountId, name: user.name, role: user.role ?? .support, createdAt: user.createdAt)
    }
}

/// Finds the signed-in user of a page's request, or ends it with a redirect to the sign-in (or to
/// the sign-in's next stage); checks a form's CSRF token against the session's.
struct PageSessions: Sendable {
    let store: Store
    let clock: any TollgateClock

    func require(_ request: Request, _ kind: User.Kind) async throws -> SignedIn {
        let portal = kind == .staff ? "/admin" : "/portal"
        guard let secret = request.cookies[WebSession.cookieName(kind)]?.value, !secret.isEmpty else {
            throw PageRedirect(location: "\(portal)/sign-in")
        }
        let hash = WebSession.hash(secret)
        let now = clock.now()
        guard let stored = try await store.read({ try await $0.webSessions.find(tokenHash: hash, at: now) }) else {
            throw PageRedirect(location: "\(portal)/sign-in?expired=1")
        }
        switch WebSession.Stage(rawValue: stored.stage) {
        case .code?: throw PageRedirect(location: "\(portal)/sign-in/code")
        case .enroll?: throw PageRedirect(location: "\(portal)/two-factor")
        case .done?, nil: break
        }
        guard let user = try await store.read({ try await $0.users.find(id: stored.userId, accountId: stored.accountId) }), user.kind == kind,
            user.status == .active, let account = try await store.read({ try await $0.accounts.find(id: stored.accountId) })
        else {
            try await store.write { try await $0.webSessions.delete(tokenHash: hash) }
            throw PageRedirect(location: "\(portal)/sign-in?expired=1")
        }
        return SignedIn(user: user, account: account, csrf: stored.csrf, sessionHash: hash)
    }

    /// The session at any stage (the sign-in's own pages), or `nil`.
    func pending(_ request: Request, _ kind: User.Kind) async throws -> (hash: String, session: WebSessionTable.Session)? {
        guard let secret = request.cookies[WebSession.cookieName(kind)]?.value, !secret.isEmpty else { return nil }
        let hash = WebSession.hash(secret)
        let now = clock.now()
        return try await store.read { try await $0.webSessions.find(tokenHash: hash, at: now) }.map { (hash, $0) }
    }

    /// Refuses a form whose CSRF token is not `expected` (403, shown as a page).
    static func checkCSRF(_ form: FormBody, expected: String?) throws {
        guard let expected, !expected.isEmpty, let given = form["csrf"], Secret.equal(given, expected) else {
            throw TollgateError.forbidden(
                code: RequestCode.forbidden, message: "The form's security token is missing or out of date. Reload the page and send the form again.")
        }
    }
}
