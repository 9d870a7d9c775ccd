import Foundation
import TollgateDomain
import TollgateFormats
import TollgateStore

/// Sets up two-factor sign-in: a secret is made (kept, unused, until confirmed, so that reloading
/// the page shows the same one), the user enters a code from its app, and from then on every
/// sign-in asks for one. Audited as `user.two_factor_enabled`.
struct TwoFactorEnroller: Sendable {
    let store: Store
    let clock: any TollgateClock

    /// What the set-up page shows: the secret for typing in, and the `otpauth://` link.
    struct Setup: Sendable {
        var base32: String
        var link: String
    }

    func setup(userId: String) async throws -> Setup {
        guard let found = try await store.read({ try await $0.users.credentials(id: userId) }) else { throw TollgateError.unauthorized(message: "Sign in again.") }
        guard !found.user.twoFactor else {
            throw TollgateError.conflict(code: UserCode.codeInvalid, message: "Two-factor sign-in is already set up.")
        }
        var secret = found.totpSecret
        if secret == nil {
            let fresh = TwoFactorCode.generateSecret()
            try await store.write { try await $0.users.setSecrets(id: userId, passwordHash: nil, totpSecret: fresh) }
            secret = fresh
        }
        let chosen = secret ?? ""
        return Setup(base32: TwoFactorCode.base32(chosen), link: TwoFactorCode.link(secret: chosen, account: found.user.email))
    }

    func confirm(userId: String, sessionHash: String, code: String) async throws {
        let now = clock.now()
        guard let found = try await store.read({ try await $0.users.credentials(id: userId) }), let secret = found.totpSecret, !found.user.twoFactor else {
            throw TollgateError.conflict(code: UserCode.codeInvalid, message: "Two-factor sign-in is already set up, or was not started.")
        }
        guard let step = TwoFactorCode.acceptedStep(code: code, secret: secret, now: now, lastStep: found.totpStep) else {
            throw TollgateError.invalid(code: UserCode.codeInvalid, field: "code", message: "The code is not right; check the app's clock and try the next one.")
        }
        var user = found.user
        user.twoFactor = true
        let enabled = user
        try await store.write(lock: .account(user.accountId)) { session in
            guard try await session.users.takeStep(id: enabled.id, step: step) else {
                throw TollgateError.invalid(code: UserCode.codeInvalid, field: "code", message: "That code was used already; wait for the next one.")
            }
            try await session.users.update(enabled)
            try await session.webSessions.advance(tokenHash: sessionHash, to: WebSession.Stage.done.rawValue)
            try await ChangeLog.record(
                session, accountId: enabled.accountId, actor: enabled.id, type: "user.two_factor_enabled", objectType: "user", objectId: enabled.id,
                before: found.user, after: enabled, state: UserView(enabled), at: now)
        }
    }
}
