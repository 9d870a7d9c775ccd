import Foundation
import TollgateFormats

/// A tenant: one vendor (and, later, one marketplace publisher). Every other object belongs
/// to exactly one account, and another account's objects are invisible to it.
public struct Account: Codable, Sendable, Equatable {
    public var id: String
    public var name: String
    public var createdAt: Date
    /// Whether every staff user must sign in to the admin portal with a two-factor code as well;
    /// set by an owner (`PATCH /v1/account`).
    public var requireTwoFactor: Bool

    public init(id: String, name: String, createdAt: Date, requireTwoFactor: Bool = false) {
        self.id = id
        self.name = name
        self.createdAt = createdAt
        self.requireTwoFactor = requireTwoFactor
    }
}
