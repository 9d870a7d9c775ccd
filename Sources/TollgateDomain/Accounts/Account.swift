import Foundation
import TollgateFormats

/// A tenant: one vendor (and, later, one marketplace publisher). Every other object belongs
/// to exactly one account, and another account's objects are invisible to it.
public struct Account: Codable, Sendable, Equatable {
    public var id: String
    public var name: String
    public var createdAt: Date

    public init(id: String, name: String, createdAt: Date) {
        self.id = id
        self.name = name
        self.createdAt = createdAt
    }
}
