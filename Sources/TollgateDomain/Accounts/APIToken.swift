import Crypto
import Foundation
import TollgateFormats

/// What an API token may do.
public enum TokenScope: String, APIEnum {
    /// Everything in its account.
    case admin
    /// Reads only: `GET` requests.
    case readOnly = "read-only"

    /// The prefix that names a token's kind: `tga_` for admin, `tgr_` for read-only.
    public var prefix: String { self == .admin ? "tga_" : "tgr_" }
}

/// An account's API token. Only a keyed hash of the secret is stored.
public struct APIToken: Codable, Sendable, Equatable {
    public var id: String
    public var accountId: String
    public var name: String
    public var scope: TokenScope
    public var createdAt: Date

    public init(id: String, accountId: String, name: String, scope: TokenScope, createdAt: Date) {
        self.id = id
        self.accountId = accountId
        self.name = name
        self.scope = scope
        self.createdAt = createdAt
    }

    /// A fresh secret for `scope`: its prefix and 43 base62 characters (256 bits).
    public static func generateSecret(scope: TokenScope) -> String {
        let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
        var generator = SystemRandomNumberGenerator()
        return scope.prefix + String((0..<43).map { _ in alphabet[Int.random(in: 0..<62, using: &generator)] })
    }

    /// The stored form of a secret: HMAC-SHA-256 under a fixed domain key, hex.
    public static func hash(secret: String) -> String {
        HMAC<SHA256>.authenticationCode(for: Data(secret.utf8), using: hashKey).hexString
    }

    private static let hashKey = SymmetricKey(data: Data("tollgate.api-token.v1".utf8))

    /// The scope a secret's prefix names, if it has a known prefix.
    public static func scope(ofSecret secret: String) -> TokenScope? {
        TokenScope.allCases.first { secret.hasPrefix($0.prefix) }
    }
}

extension MessageAuthenticationCode {
    var hexString: String { Array(self).hexString }
}
