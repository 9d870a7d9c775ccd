import Foundation
import TollgateDomain
import TollgateFormats
import TollgateStore

/// Signs a user in with an email and a password: throttled per user and per address
/// (``SignInThrottle``), checked against the bcrypt hash (an unknown email costs as long), audited
/// either way (`user.signed_in`, `user.sign_in_failed`). Opens a session at the stage that follows
/// (``WebSession/stage(after:account:)``).
struct PasswordSignIn: Sendable {
    let store: Store
    let clock: any TollgateClock
    let throttle: SignInThrottle
    let sessionHours: Int

    /// Why a sign-in failed, as the form says it: the same words for a wrong password and an
    /// unknown email, so that the form does not tell which addresses have users.
    static let failed = TollgateError.unauthorized(code: UserCode.signInFailed, message: "The email or the password is not right.")

    func signIn(kind: User.Kind, email: String, password: String, address: String?) async throws -> (secret: String, session: WebSessionTable.Session) {
        let now = clock.now()
        let normalized = User.normalize(email: email) ?? ""
        let found = normalized.isEmpty ? nil : try await store.read { try await $0.users.credentials(kind: kind, email: normalized) }
        let addressKey = "address:\(address ?? "unknown")"
        let userKey = found.map { "user:\($0.user.id)" }
        let since = now.addingTimeInterval(-throttle.window)
        let (userFailures, addressFailures) = try await store.read { session in
            var userFailures = 0
            if let userKey { userFailures = try await session.webSessions.failures(key: userKey, since: since) }
            return (userFailures, try await session.webSessions.failures(key: addressKey, since: since))
        }
        guard throttle.allows(userFailures: userFailures, addressFailures: addressFailures) else {
            throw TollgateError.throttled(
                code: UserCode.signInThrottled, message: "Too many failed sign-ins; try again in \(Int(throttle.window / 60)) minutes.",
                retryAfter: Int(throttle.window))
        }
        let matches = try await PasswordHasher.verify(password, hash: found?.passwordHash ?? PasswordHasher.decoy)
        guard let found, matches, found.passwordHash != nil, found.user.status == .active else {
            try await store.write { session in
                try await session.webSessions.recordFailure(keys: [addressKey] + (userKey.map { [$0] } ?? []), at: now)
                if let user = found?.user {
                    try await ChangeLog.record(
                        session, accountId: user.accountId, actor: user.id, type: "user.sign_in_failed", objectType: "user", objectId: user.id,
                        before: nil as User?, after: nil as User?,
                        state: SignInRecord(userId: user.id, address: address, reason: user.status == .active ? "password" : user.status.rawValue), at: now)
                }
            }
            throw Self.failed
        }
        let user = found.user
        let hours = sessionHours
        return try await store.write(lock: .account(user.accountId)) { session in
            guard let account = try await session.accounts.find(id: user.accountId) else { throw Self.failed }
            let stage = WebSession.stage(after: user, account: account)
            let opened = try await WebSession.open(user, stage: stage, hours: hours, session: session, now: now)
            if let userKey { try await session.webSessions.clearFailures(key: userKey) }
            try await ChangeLog.record(
                session, accountId: user.accountId, actor: user.id, type: stage == .done ? "user.signed_in" : "user.password_accepted",
                objectType: "user", objectId: user.id, before: nil as User?, after: nil as User?,
                state: SignInRecord(userId: user.id, address: address, reason: nil), at: now)
            return (opened.secret, opened.stored)
        }
    }
}
