import Foundation
import HummingbirdOTP
import TollgateDomain

/// Time-based one-time codes (RFC 6238: HMAC-SHA-1, 6 digits, 30 s steps) through hummingbird-auth's
/// `HummingbirdOTP`, as authenticator apps compute them.
///
/// The secret is 32 random base62 characters, whose bytes are the HMAC key; apps are given it in
/// base32 (``base32``, and the `otpauth://` link). A code is accepted for the step before and after
/// the current one (clock drift), and each step only once: the step of the last accepted code is
/// kept, and a code of that step or an earlier one is refused.
enum TwoFactorCode {
    static func generateSecret() -> String { Secret.generate(prefix: "", length: 32) }

    /// The secret as authenticator apps take it: RFC 4648 base32 of its bytes, unpadded, as
    /// hummingbird-auth writes it into the ``link(secret:account:)``.
    static func base32(_ secret: String) -> String {
        URLComponents(string: link(secret: secret, account: "x"))?.queryItems?.first { $0.name == "secret" }?.value ?? ""
    }

    /// The `otpauth://totp/…` link an authenticator app reads (as a QR code or pasted).
    static func link(secret: String, account: String) -> String {
        TOTP(secret: secret).createAuthenticatorURL(label: "Tollgate:\(account)", issuer: "Tollgate")
    }

    /// The step `code` is valid for at `now`, if it is valid for one after `lastStep`.
    static func acceptedStep(code: String, secret: String, now: Date, lastStep: Int64?) -> Int64? {
        let digits = code.filter { !$0.isWhitespace }
        guard digits.count == 6, let value = Int(digits) else { return nil }
        let totp = TOTP(secret: secret)
        let step = Int64(now.timeIntervalSince1970 / 30)
        for candidate in [step - 1, step, step + 1] where candidate > (lastStep ?? .min) {
            if totp.compute(date: Date(timeIntervalSince1970: TimeInterval(candidate * 30))) == value { return candidate }
        }
        return nil
    }
}
