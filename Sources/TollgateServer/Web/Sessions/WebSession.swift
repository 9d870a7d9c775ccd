import Foundation
import Hummingbird
import TollgateDomain
import TollgateStore

/// A portal session: a random secret in an `HttpOnly`, `SameSite=Lax` cookie (`Secure` when the
/// public URL is `https`), stored as its keyed hash with the user, the sign-in's stage and the
/// token every form of the session carries (CSRF).
///
/// Stages: ``Stage/code`` (the password was right; a two-factor code is next), ``Stage/enroll``
/// (the account requires two-factor sign-in and the user has not set it up), ``Stage/done``.
/// Only a `done` session reaches a page.
enum WebSession {
    enum Stage: String {
        case code, enroll, done
    }

    /// The cookie of the admin portal's sessions and of the customer portal's.
    static func cookieName(_ kind: User.Kind) -> String { kind == .staff ? "tollgate_admin" : "tollgate_portal" }

    /// The cookie that carries the sign-in forms' CSRF token before there is a session (double submit).
    static let formCookie = "tollgate_form"

    static func hash(_ secret: String) -> String { Secret.hash(secret, purpose: "tollgate.web-session.v1") }

    /// A new session of `user` at `stage`: its cookie's secret and the stored row.
    static func open(
        _ user: User, stage: Stage, hours: Int, session: StoreSession, now: Date
    ) async throws -> (secret: String, stored: WebSessionTable.Session) {
        let secret = Secret.generate(prefix: "tgs_")
        let stored = WebSessionTable.Session(
            userId: user.id, accountId: user.accountId, stage: stage.rawValue, csrf: Secret.generate(prefix: "", length: 32),
            expiresAt: now.addingTimeInterval(TimeInterval(hours) * 3600))
        try await session.webSessions.insert(tokenHash: hash(secret), stored, at: now)
        return (secret, stored)
    }

    /// The cookie that holds `secret` for `kind`'s portal, until `expiresAt` (or removes it, for `nil`).
    static func cookie(_ kind: User.Kind, secret: String?, expiresAt: Date?, secure: Bool) -> Cookie {
        Cookie(
            name: cookieName(kind), value: secret ?? "", expires: secret == nil ? Date(timeIntervalSince1970: 0) : expiresAt,
            path: kind == .staff ? "/admin" : "/portal", secure: secure, httpOnly: true, sameSite: .lax)
    }

    /// The stage a user's sign-in goes to once the password is right.
    static func stage(after user: User, account: Account) -> Stage {
        if user.twoFactor { return .code }
        if user.kind == .staff, account.requireTwoFactor { return .enroll }
        return .done
    }
}

/// What a sign-in records in the audit trail and the event log: where it came from and, for a
/// failure, why.
struct SignInRecord: Codable, Sendable {
    var userId: String
    var address: String?
    var reason: String?
}
