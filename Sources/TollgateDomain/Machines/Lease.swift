import Foundation
import TollgateFormats

/// One slot of a license's `concurrentExecutions`, held until `expiresAt` unless renewed or returned.
public struct Lease: Codable, Sendable, Equatable {
    public var id: String
    public var accountId: String
    public var licenseId: String
    /// The machine that holds it, when the caller presented a machine token.
    public var machineId: String?
    /// A label the caller chose (a job id, a process name).
    public var holder: String?
    public var expiresAt: Date
    public var createdAt: Date

    public init(id: String, accountId: String, licenseId: String, machineId: String?, holder: String?, expiresAt: Date, createdAt: Date) {
        self.id = id
        self.accountId = accountId
        self.licenseId = licenseId
        self.machineId = machineId
        self.holder = holder
        self.expiresAt = expiresAt
        self.createdAt = createdAt
    }

    /// Lease lifetimes: 10 seconds to a day, 5 minutes unless asked.
    public static let ttlRange = 10...86_400
    public static let defaultTTL = 300
}
