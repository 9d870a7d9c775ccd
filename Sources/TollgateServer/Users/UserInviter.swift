import Foundation
import TollgateDomain
import TollgateFormats
import TollgateStore

/// What `POST /v1/users` and `POST /v1/customers/{id}/users` ask for.
struct UserDraft: Codable, Sendable {
    var email: String
    var name: String
    /// A staff user's role; customer users have none.
    var role: Role?

    static let staffFields: Set<String> = ["email", "name", "role"]
    static let customerFields: Set<String> = ["email", "name"]
}

/// Invites users: a new user in the `invited` state and a one-time link that sets its password
/// (``UserJoiner``), shown to the inviter to pass on. A staff member invites only roles it could
/// hand out (``Role/mayGrant(_:)``); customer users belong to a customer of the account.
enum UserInviter {
    /// Where invitation links start: the configured public URL, else the request's host over http.
    struct Links: Sendable {
        var base: String
        var days: Int
        /// Emails a customer user its link (`portal_invitation`); staff links are passed on by hand.
        var notifications: NotificationPlanner? = nil

        func url(for user: User, secret: String) -> String {
            "\(base)/\(user.kind == .staff ? "admin" : "portal")/join/\(secret)"
        }
    }

    static func invite(
        _ draft: UserDraft, kind: User.Kind, customerId: String?, by caller: APIToken, links: Links, session: StoreSession, now: Date
    ) async throws -> UserView {
        guard let email = User.normalize(email: draft.email) else {
            throw TollgateError.invalid(code: RequestCode.invalidValue, field: "email", message: "'email' must be an email address.")
        }
        let name = draft.name.trimmingCharacters(in: .whitespaces)
        guard !name.isEmpty, name.count <= 200 else {
            throw TollgateError.invalid(code: RequestCode.invalidValue, field: "name", message: "'name' must be 1 to 200 characters.")
        }
        var role: Role?
        switch kind {
        case .staff:
            guard let wanted = draft.role else { throw TollgateError.invalid(code: RequestCode.missingField, field: "role", message: "'role' is required.") }
            guard caller.role.mayGrant(wanted) else {
                throw TollgateError.forbidden(
                    code: RequestCode.permissionDenied, message: "A '\(caller.role.rawValue)' cannot invite a '\(wanted.rawValue)': that role can do more.")
            }
            role = wanted
        case .customer:
            guard let customerId, try await session.customers.find(id: customerId, accountId: caller.accountId) != nil else {
                throw TollgateError.notFound(resource: "customer", id: customerId ?? "")
            }
        }
        let user = User(
            id: Identifier.make(.user, at: now), accountId: caller.accountId, kind: kind, email: email, name: name, role: role,
            customerId: kind == .customer ? customerId : nil, createdAt: now)
        do {
            return try await store(user, actor: caller.id, links: links, session: session, now: now)
        } catch StoreError.duplicate {
            throw TollgateError.conflict(code: UserCode.emailTaken, message: "A \(kind.rawValue) user with the email '\(email)' exists.", field: "email")
        }
    }

    /// Stores a new `user`, its first invitation and the `user.invited` change, by `actor`.
    static func store(_ user: User, actor: String, links: Links, session: StoreSession, now: Date) async throws -> UserView {
        try await session.users.insert(user)
        let link = try await issueLink(for: user, links: links, session: session, now: now)
        try await ChangeLog.record(
            session, accountId: user.accountId, actor: actor, type: "user.invited", objectType: "user", objectId: user.id,
            before: nil as User?, after: user, state: UserView(user), at: now)
        return UserView(user, invitation: link)
    }

    /// A new link for a user who has not joined (the earlier ones stop working).
    static func reinvite(id: String, by caller: APIToken, links: Links, session: StoreSession, now: Date) async throws -> UserView {
        guard let user = try await session.users.find(id: id, accountId: caller.accountId) else { throw TollgateError.notFound(resource: "user", id: id) }
        if let role = user.role, !caller.role.mayGrant(role) {
            throw TollgateError.forbidden(code: RequestCode.permissionDenied, message: "A '\(caller.role.rawValue)' cannot invite a '\(role.rawValue)'.")
        }
        guard user.status == .invited else {
            throw TollgateError.conflict(code: UserCode.userNotInvited, message: "The user has \(user.status == .active ? "joined" : "been disabled"); no invitation is needed.")
        }
        let link = try await issueLink(for: user, links: links, session: session, now: now)
        try await ChangeLog.record(
            session, accountId: user.accountId, actor: caller.id, type: "user.reinvited", objectType: "user", objectId: user.id,
            before: user, after: user, state: UserView(user), at: now)
        return UserView(user, invitation: link)
    }

    /// Stores a fresh invitation of `user` and returns its link.
    static func issueLink(for user: User, links: Links, session: StoreSession, now: Date) async throws -> InvitationLink {
        let secret = Secret.generate(prefix: "tgi_")
        let expiresAt = now.addingTimeInterval(TimeInterval(links.days) * 86_400)
        try await session.invitations.insert(tokenHash: hash(secret), userId: user.id, accountId: user.accountId, at: now, expiresAt: expiresAt)
        let link = InvitationLink(url: links.url(for: user, secret: secret), expiresAt: expiresAt)
        if user.kind == .customer, let notifications = links.notifications {
            try await notifications.invitation(of: user, link: link, session: session, now: now)
        }
        return link
    }

    static func hash(_ secret: String) -> String { Secret.hash(secret, purpose: "tollgate.invitation.v1") }
}
