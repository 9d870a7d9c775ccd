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
    /// Requests per minute the API allows each of the account's API tokens (README, "Rate
    /// limits"); ``defaultAPIRequestsPerMinute`` unless an owner set it (`PATCH /v1/account`).
    public var apiRequestsPerMinute: Int

    /// 100 requests a second per token, the figure Stripe allows a live-mode key.
    public static let defaultAPIRequestsPerMinute = 6_000
    /// What an owner may set `apiRequestsPerMinute` to.
    public static let apiRequestsPerMinuteRange = 1...10_000_000

    public init(id: String, name: String, createdAt: Date, requireTwoFactor: Bool = false, apiRequestsPerMinute: Int = Account.defaultAPIRequestsPerMinute) {
        self.id = id
        self.name = name
        self.createdAt = createdAt
        self.requireTwoFactor = requireTwoFactor
        self.apiRequestsPerMinute = apiRequestsPerMinute
    }
}
