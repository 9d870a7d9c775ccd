import Foundation
import TollgateFormats

/// Someone a vendor sells to: the holder of licenses.
public struct Customer: Codable, Sendable, Equatable {
    public var id: String
    public var accountId: String
    public var name: String
    public var email: String?
    /// Whether the customer turned off the emails that are not essential (reminders, usage and
    /// machine-limit alerts; ``NotificationKind/isEssential``).
    public var emailOptOut: Bool
    public var metadata: [String: String]
    public var createdAt: Date
    public var updatedAt: Date

    public init(
        id: String, accountId: String, name: String, email: String?, emailOptOut: Bool = false, metadata: [String: String], createdAt: Date, updatedAt: Date
    ) {
        self.id = id
        self.accountId = accountId
        self.name = name
        self.email = email
        self.emailOptOut = emailOptOut
        self.metadata = metadata
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

/// The fields of a customer a caller may set.
public struct CustomerDraft: Codable, Sendable, Equatable {
    public var name: String
    public var email: String?
    public var emailOptOut: Bool?
    public var metadata: [String: String]?

    public init(name: String, email: String? = nil, emailOptOut: Bool? = nil, metadata: [String: String]? = nil) {
        self.name = name
        self.email = email
        self.emailOptOut = emailOptOut
        self.metadata = metadata
    }

    public init(_ customer: Customer) {
        self.init(name: customer.name, email: customer.email, emailOptOut: customer.emailOptOut, metadata: customer.metadata)
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
            id: id, accountId: accountId, name: name, email: email, emailOptOut: emailOptOut ?? false, metadata: metadata ?? [:],
            createdAt: createdAt, updatedAt: now)
    }
}
