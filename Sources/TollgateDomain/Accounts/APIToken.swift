import Crypto
import Foundation
import TollgateFormats

/// An account's API token. Only a keyed hash of the secret is stored, and its first characters
/// (``prefix``), by which people tell their tokens apart.
public struct APIToken: Codable, Sendable, Equatable {
    public var id: String
    public var accountId: String
    public var name: String
    /// What the token may do.
    public var role: Role
    /// The secret's first 8 characters (empty for tokens made before they were kept).
    public var prefix: String
    /// After this the token is refused; `nil`: it never expires.
    public var expiresAt: Date?
    /// The one product whose objects the token reaches (``ProductScope``); `nil`: the whole account.
    public var productId: String?
    public var createdAt: Date

    public init(
        id: String, accountId: String, name: String, role: Role, prefix: String = "", expiresAt: Date? = nil, productId: String? = nil, createdAt: Date
    ) {
        self.id = id
        self.accountId = accountId
        self.name = name
        self.role = role
        self.prefix = prefix
        self.expiresAt = expiresAt
        self.productId = productId
        self.createdAt = createdAt
    }

    private enum CodingKeys: String, CodingKey {
        case id, accountId, name, role, prefix, expiresAt, productId, createdAt
        /// What stored tokens said before roles: `admin` or `read-only`, which are roles of the same names.
        case scope
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decode(String.self, forKey: .id)
        accountId = try container.decode(String.self, forKey: .accountId)
        name = try container.decode(String.self, forKey: .name)
        role = try container.decodeIfPresent(Role.self, forKey: .role) ?? container.decode(Role.self, forKey: .scope)
        prefix = try container.decodeIfPresent(String.self, forKey: .prefix) ?? ""
        expiresAt = try container.decodeIfPresent(Date.self, forKey: .expiresAt)
        productId = try container.decodeIfPresent(String.self, forKey: .productId)
        createdAt = try container.decode(Date.self, forKey: .createdAt)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(accountId, forKey: .accountId)
        try container.encode(name, forKey: .name)
        try container.encode(role, forKey: .role)
        try container.encode(prefix, forKey: .prefix)
        try container.encodeIfPresent(expiresAt, forKey: .expiresAt)
        try container.encodeIfPresent(productId, forKey: .productId)
        try container.encode(createdAt, forKey: .createdAt)
    }

    /// Whether the token has expired at `now`.
    public func isExpired(at now: Date) -> Bool { expiresAt.map { $0 <= now } ?? false }

    /// How many characters of a secret ``prefix`` keeps: the kind and 4 random characters.
    public static let prefixLength = 8

    /// A fresh secret for `role`: its prefix and 43 base62 characters (256 bits).
    public static func generateSecret(role: Role) -> String { Secret.generate(prefix: role.secretPrefix) }

    /// The stored form of a secret: HMAC-SHA-256 under a fixed domain key, hex.
    public static func hash(secret: String) -> String { Secret.hash(secret, purpose: "tollgate.api-token.v1") }
}

extension MessageAuthenticationCode {
    var hexString: String { Array(self).hexString }
}
