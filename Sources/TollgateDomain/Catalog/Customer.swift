import Foundation
import TollgateFormats

/// Someone a vendor sells to: the holder of licenses.
public struct Customer: Codable, Sendable, Equatable {
    public var id: String
    public var accountId: String
    public var name: String
    public var email: String?
    public var metadata: [String: String]
    public var createdAt: Date
    public var updatedAt: Date
}

/// The fields of a customer a caller may set.
public struct CustomerDraft: Codable, Sendable, Equatable {
    public var name: String
    public var email: String?
    public var metadata: [String: String]?

    public init(name: String, email: String? = nil, metadata: [String: String]? = nil) {
        self.name = name
        self.email = email
        self.metadata = metadata
    }

    public init(_ customer: Customer) {
        self.init(name: customer.name, email: customer.email, metadata: customer.metadata)
    }

    /// Checks the rules and builds the customer.
    public func validated(id: String, accountId: String, createdAt: Date, now: Date) throws(TollgateError) -> Customer {
        try Rules.requireText(name, field: "name")
        if let email {
            let parts = email.split(separator: "@")
            guard parts.count == 2, parts[1].contains("."), email.count <= 254, !email.contains(" ") else {
                throw .invalid(field: "email", message: "'\(email)' is not an email address.")
            }
        }
        try Rules.requireMetadata(metadata)
        return Customer(
            id: id, accountId: accountId, name: name, email: email, metadata: metadata ?? [:],
            createdAt: createdAt, updatedAt: now)
    }
}
