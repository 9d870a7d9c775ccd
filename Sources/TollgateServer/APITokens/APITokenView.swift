import Foundation
import TollgateDomain
import TollgateStore

/// An API token as `GET /v1/tokens` shows it: never its secret, only the secret's first
/// characters, by which people tell tokens apart.
struct APITokenView: Codable, Sendable {
    var id: String
    var name: String
    var role: Role
    var prefix: String
    var expiresAt: Date?
    /// The product the token is confined to, if any.
    var productId: String?
    /// When the token last authenticated a request, to the minute (``TokenUseRecorder``).
    var lastUsedAt: Date?
    var createdAt: Date
    /// Only in the answer that creates the token: the secret, shown once.
    var secret: String?

    init(_ token: APIToken, lastUsedAt: Date?, secret: String? = nil) {
        id = token.id
        name = token.name
        role = token.role
        prefix = token.prefix
        expiresAt = token.expiresAt
        productId = token.productId
        self.lastUsedAt = lastUsedAt
        createdAt = token.createdAt
        self.secret = secret
    }

    init(_ listed: TokenTable.Listed) { self.init(listed.token, lastUsedAt: listed.lastUsedAt) }
}
