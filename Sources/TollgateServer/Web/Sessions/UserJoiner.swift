import Foundation
import TollgateDomain
import TollgateFormats
import TollgateStore

/// Takes an invitation: sets the user's password (``PasswordRules``, bcrypt), and for the first
/// owner, whom the server invited before it knew an address, its email; the user becomes
/// `active` and is signed in (or sent to set up two-factor sign-in when the account requires it).
/// An invitation works once and until it expires.
struct UserJoiner: Sendable {
    let store: Store
    let clock: any TollgateClock
    let sessionHours: Int

    static let invalid = TollgateError.conflict(
        code: UserCode.invitationInvalid, message: "This invitation link has expired or was used already; ask for a new one.")

    /// The user `secret` invites, while the invitation works.
    func invitee(secret: String) async throws -> User {
        let now = clock.now()
        let hash = UserInviter.hash(secret)
        guard let invitation = try await store.read({ try await $0.invitations.find(tokenHash: hash) }), invitation.usedAt == nil,
            invitation.expiresAt > now,
            let user = try await store.read({ try await $0.users.find(id: invitation.userId, accountId: invitation.accountId) }), user.status == .invited
        else { throw Self.invalid }
        return user
    }

    func join(secret: String, email: String?, password: String, confirmation: String, address: String?) async throws -> (
        secret: String, session: WebSessionTable.Session
    ) {
        let before = try await invitee(secret: secret)
        var user = before
        if user.email.isEmpty {
            guard let email = email.flatMap(User.normalize(email:)) else {
                throw TollgateError.invalid(code: RequestCode.invalidValue, field: "email", message: "Enter your email address.")
            }
            user.email = email
        }
        if let problem = PasswordRules.problem(with: password, email: user.email, name: user.name) {
            throw TollgateError.invalid(code: UserCode.weakPassword, field: "password", message: problem)
        }
        guard password == confirmation else {
            throw TollgateError.invalid(code: RequestCode.invalidValue, field: "confirmation", message: "The two passwords are not the same.")
        }
        let hash = try await PasswordHasher.hash(password)
        let now = clock.now()
        let hours = sessionHours
        user.status = .active
        let joined = user
        return try await store.write(lock: .account(user.accountId)) { session in
            guard try await session.invitations.take(tokenHash: UserInviter.hash(secret), at: now),
                let account = try await session.accounts.find(id: joined.accountId)
            else { throw Self.invalid }
            do {
                try await session.users.update(joined)
            } catch StoreError.duplicate {
                throw TollgateError.conflict(code: UserCode.emailTaken, message: "Another user signs in with '\(joined.email)'.", field: "email")
            }
            try await session.users.setSecrets(id: joined.id, passwordHash: hash, totpSecret: nil)
            try await ChangeLog.record(
                session, accountId: joined.accountId, actor: joined.id, type: "user.joined", objectType: "user", objectId: joined.id, before: before,
                after: joined, state: UserView(joined), at: now)
            let opened = try await WebSession.open(joined, stage: WebSession.stage(after: joined, account: account), hours: hours, session: session, now: now)
            return (opened.secret, opened.stored)
        }
    }
}
