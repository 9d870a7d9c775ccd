import Foundation
import TollgateDomain
import TollgateFormats
import TollgateStore

/// The second step of a sign-in: a two-factor code (``TwoFactorCode``) for a session at the
/// `code` stage. Wrong codes count as failed sign-ins of the user and the address; a session
/// gets no more tries than the throttle allows.
struct CodeSignIn: Sendable {
    let store: Store
    let clock: any TollgateClock
    let throttle: SignInThrottle

    func check(sessionHash: String, code: String, address: String?) async throws {
        let now = clock.now()
        guard let stored = try await store.read({ try await $0.webSessions.find(tokenHash: sessionHash, at: now) }), stored.stage == WebSession.Stage.code.rawValue,
            let found = try await store.read({ try await $0.users.credentials(id: stored.userId) }), let secret = found.totpSecret
        else { throw TollgateError.unauthorized(message: "The sign-in has expired; sign in again.") }
        let (userKey, addressKey) = ("user:\(found.user.id)", "address:\(address ?? "unknown")")
        let since = now.addingTimeInterval(-throttle.window)
        let counts = try await store.read { session in
            (try await session.webSessions.failures(key: userKey, since: since), try await session.webSessions.failures(key: addressKey, since: since))
        }
        guard throttle.allows(userFailures: counts.0, addressFailures: counts.1) else {
            try await store.write { try await $0.webSessions.delete(tokenHash: sessionHash) }
            throw TollgateError.throttled(
                code: UserCode.signInThrottled, message: "Too many failed sign-ins; try again in \(Int(throttle.window / 60)) minutes.",
                retryAfter: Int(throttle.window))
        }
        let user = found.user
        let step = TwoFactorCode.acceptedStep(code: code, secret: secret, now: now, lastStep: found.totpStep)
        // A wrong code is recorded and committed, then refused: thrown inside, the record would roll back.
        let accepted = try await store.write(lock: .account(user.accountId)) { session -> Bool in
            guard let step, try await session.users.takeStep(id: user.id, step: step) else {
                try await session.webSessions.recordFailure(keys: [userKey, addressKey], at: now)
                try await ChangeLog.record(
                    session, accountId: user.accountId, actor: user.id, type: "user.sign_in_failed", objectType: "user", objectId: user.id,
                    before: nil as User?, after: nil as User?, state: SignInRecord(userId: user.id, address: address, reason: "code"), at: now)
                return false
            }
            try await session.webSessions.advance(tokenHash: sessionHash, to: WebSession.Stage.done.rawValue)
            try await session.webSessions.clearFailures(key: userKey)
            try await ChangeLog.record(
                session, accountId: user.accountId, actor: user.id, type: "user.signed_in", objectType: "user", objectId: user.id,
                before: nil as User?, after: nil as User?, state: SignInRecord(userId: user.id, address: address, reason: nil), at: now)
            return true
        }
        guard accepted else { throw TollgateError.invalid(code: UserCode.codeInvalid, field: "code", message: "The code is not right, or was used already.") }
    }
}
