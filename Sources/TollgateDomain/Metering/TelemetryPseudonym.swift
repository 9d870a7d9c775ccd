import Crypto
import Foundation

/// How telemetry stores the license and machine an event came from: `anon_` and 32 hex digits of
/// HMAC-SHA256 of the id under the account's telemetry salt. The same id gives the same pseudonym
/// in one account, so telemetry still counts distinct licenses and ranks them, but the stored
/// rows name no license or machine, and without the salt (which never leaves the database) a
/// pseudonym cannot be matched to an id by hashing candidates; other accounts' pseudonyms of the
/// same id differ.
public enum TelemetryPseudonym {
    public static let prefix = "anon_"

    /// The pseudonym of `id` under `salt`.
    public static func make(_ id: String, salt: [UInt8]) -> String {
        let code = HMAC<SHA256>.authenticationCode(for: Array(id.utf8), using: SymmetricKey(data: salt))
        return prefix + code.prefix(16).map { String(format: "%02x", $0) }.joined()
    }

    /// A new account's salt: 32 random bytes.
    public static func newSalt() -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
    }
}
