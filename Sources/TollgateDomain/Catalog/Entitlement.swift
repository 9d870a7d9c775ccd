import Foundation
import TollgateFormats

/// A feature code in a product's catalogue. Policies and licenses may grant only codes of
/// their product's catalogue (or `*`), so a typo is refused instead of granting nothing.
public struct Entitlement: Codable, Sendable, Equatable {
    public var id: String
    public var accountId: String
    public var productId: String
    /// The code apps check (`sso`, `api-access`); unique within the product.
    public var code: String
    public var description: String
    public var createdAt: Date

    public init(id: String, accountId: String, productId: String, code: String, description: String, createdAt: Date) {
        self.id = id
        self.accountId = accountId
        self.productId = productId
        self.code = code
        self.description = description
        self.createdAt = createdAt
    }
}

/// The fields of a catalogue entry a caller sets.
public struct EntitlementDraft: Codable, Sendable, Equatable {
    public var code: String
    public var description: String?

    public init(code: String, description: String? = nil) {
        self.code = code
        self.description = description
    }

    /// Checks the rules and builds the entry.
    public func validated(id: String, accountId: String, productId: String, now: Date) throws(TollgateError) -> Entitlement {
        guard code != Entitlements.all else {
            throw .invalid(field: "code", message: "'*' grants every feature; it is not a catalogue entry.")
        }
        try Rules.requireFeatureCodes([code], field: "code")
        if let description, description.count > 500 {
            throw .invalid(field: "description", message: "'description' holds at most 500 characters.")
        }
        return Entitlement(id: id, accountId: accountId, productId: productId, code: code, description: description ?? "", createdAt: now)
    }
}
