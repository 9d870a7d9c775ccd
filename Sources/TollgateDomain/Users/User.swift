import Foundation
import TollgateFormats

/// A person who signs in to a portal: a vendor's staff member (the admin portal, with a ``Role``)
/// or a customer's user (the customer portal, confined to one customer).
///
/// The password's hash and the two-factor secret are not part of the document: the store keeps
/// them in columns of their own, so that no change event, audit digest or API answer carries them.
public struct User: Codable, Sendable, Equatable {
    public enum Kind: String, APIEnum {
        case staff
        case customer
    }

    /// `invited` until the invitation is taken (a password set), then `active`; `disabled` users
    /// cannot sign in and have no sessions.
    public enum Status: String, APIEnum {
        case invited
        case active
        case disabled
    }

    public var id: String
    public var accountId: String
    public var kind: Kind
    /// Lowercased; what the user signs in with. Empty only for the first owner before it takes
    /// its invitation (the server cannot know the address before).
    public var email: String
    public var name: String
    /// A staff member's role; customer users have none.
    public var role: Role?
    /// A customer user's customer.
    public var customerId: String?
    public var status: Status
    /// Whether the user signs in with a code from an authenticator app as well (RFC 6238).
    public var twoFactor: Bool
    public var createdAt: Date

    public init(
        id: String, accountId: String, kind: Kind, email: String, name: String, role: Role?, customerId: String?, status: Status = .invited,
        twoFactor: Bool = false, createdAt: Date
    ) {
        self.id = id
        self.accountId = accountId
        self.kind = kind
        self.email = email
        self.name = name
        self.role = role
        self.customerId = customerId
        self.status = status
        self.twoFactor = twoFactor
        self.createdAt = createdAt
    }

    /// An email address as users are found by it: trimmed and lowercased, or `nil` when it does not
    /// look like one (one `@`, something either side, a dot in the domain, no spaces, ≤ 254 characters).
    public static func normalize(email: String) -> String? {
        let email = email.trimmingCharacters(in: .whitespaces).lowercased()
        let parts = email.split(separator: "@", omittingEmptySubsequences: false)
        guard email.count <= 254, parts.count == 2, !parts[0].isEmpty, parts[1].contains("."), !parts[1].hasPrefix("."), !parts[1].hasSuffix("."),
            !email.contains(where: \.isWhitespace)
        else { return nil }
        return email
    }
}
