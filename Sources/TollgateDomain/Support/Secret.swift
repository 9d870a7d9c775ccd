import Crypto
import Foundation

/// Random secrets handed to people once (API tokens, invitation links, session cookies) and the
/// keyed hashes under which they are stored: a stolen database does not give them back.
public enum Secret {
    private static let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")

    /// `prefix` and `length` base62 characters (43 carry 256 bits).
    public static func generate(prefix: String, length: Int = 43) -> String {
        var generator = SystemRandomNumberGenerator()
        return prefix + String((0..<length).map { _ in alphabet[Int.random(in: 0..<62, using: &generator)] })
    }

    /// HMAC-SHA-256 of `secret` under a key of `purpose` (so one kind's hash never matches another's), hex.
    public static func hash(_ secret: String, purpose: String) -> String {
        HMAC<SHA256>.authenticationCode(for: Data(secret.utf8), using: SymmetricKey(data: Data(purpose.utf8))).hexString
    }

    /// Whether `a` and `b` are equal, in time that does not depend on where they differ (a
    /// secret or its hash against the one given).
    public static func equal(_ a: String, _ b: String) -> Bool {
        let (x, y) = (Array(a.utf8), Array(b.utf8))
        guard x.count == y.count else { return false }
        return zip(x, y).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }
}
