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
}
