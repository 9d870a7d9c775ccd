import Foundation
import TollgateFormats

/// Something a vendor sells licenses for.
public struct Product: Codable, Sendable, Equatable {
    public var id: String
    public var accountId: String
    /// A short, unique (per account) handle such as `workflow-engine`.
    public var code: String
    public var name: String
    public var metadata: [String: String]
    public var createdAt: Date
    public var updatedAt: Date

    public init(id: String, accountId: String, code: String, name: String, metadata: [String: String], createdAt: Date, updatedAt: Date) {
        self.id = id
        self.accountId = accountId
        self.code = code
        self.name = name
        self.metadata = metadata
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

/// The fields of a product a caller may set.
public struct ProductDraft: Codable, Sendable, Equatable {
    public var code: String
    public var name: String
    public var metadata: [String: String]?

    public init(code: String, name: String, metadata: [String: String]? = nil) {
        self.code = code
        self.name = name
        self.metadata = metadata
    }

    public init(_ product: Product) {
        self.init(code: product.code, name: product.name, metadata: product.metadata)
    }

    /// Checks the rules and builds the product.
    public func validated(id: String, accountId: String, createdAt: Date, now: Date) throws(TollgateError) -> Product {
        try Rules.requireSlug(code, field: "code")
        try Rules.requireText(name, field: "name")
        try Rules.requireMetadata(metadata)
        return Product(
            id: id, accountId: accountId, code: code, name: name, metadata: metadata ?? [:],
            createdAt: createdAt, updatedAt: now)
    }
}
