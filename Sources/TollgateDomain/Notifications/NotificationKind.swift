import Foundation
import TollgateFormats

/// The emails Tollgate sends a customer. The essential ones (a license's key, an invitation, a
/// change of a license's status) go whatever the customer chose; the others are reminders and
/// alerts a customer may turn off (`Customer.emailOptOut`).
public enum NotificationKind: String, APIEnum {
    case licenseIssued = "license_issued"
    case portalInvitation = "portal_invitation"
    case renewalReminder = "renewal_reminder"
    case licenseExpired = "license_expired"
    case licenseSuspended = "license_suspended"
    case licenseReinstated = "license_reinstated"
    case machineLimitReached = "machine_limit_reached"
    case usageThreshold = "usage_threshold"

    /// Whether it is sent even to a customer who opted out of notifications.
    public var isEssential: Bool {
        switch self {
        case .licenseIssued, .portalInvitation, .licenseExpired, .licenseSuspended, .licenseReinstated: true
        case .renewalReminder, .machineLimitReached, .usageThreshold: false
        }
    }
}
