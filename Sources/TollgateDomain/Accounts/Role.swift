import TollgateFormats

/// What a staff member or an API token may do in its account: a fixed set of ``Permission``s.
///
/// - `owner`: everything.
/// - `admin`: everything but the account's own settings (`account.manage`), so an admin cannot
///   make owners.
/// - `developer`: the catalogue (products, policies, entitlements, meters), signing keys, API
///   tokens and recording usage, and reading everything.
/// - `support`: customers, licenses and machines: read, suspend and reinstate, deactivate; the
///   catalogue, usage and the event log, read.
/// - `sales`: customers (read and create), licenses (read and create), usage analytics; the
///   catalogue, read.
/// - `read-only`: reading everything.
/// - `moderator`: the account and the catalogue, read (the marketplace's reviews come later).
public enum Role: String, APIEnum {
    case owner
    case admin
    case developer
    case support
    case sales
    case readOnly = "read-only"
    case moderator

    /// What this role may do.
    public var permissions: Set<Permission> { Self.table[self] ?? [] }

    /// Every role's permissions, built once: every authenticated request asks (``allows(_:)``).
    private static let table: [Role: Set<Permission>] = Dictionary(
        uniqueKeysWithValues: allCases.map { role -> (Role, Set<Permission>) in
            switch role {
            case .owner: (role, Set(Permission.allCases))
            case .admin: (role, Set(Permission.allCases).subtracting([.accountManage]))
            case .developer: (role, Permission.reads.union([.catalogWrite, .keysManage, .tokensManage, .usageWrite, .webhooksManage]))
            case .support:
                (role, [.accountRead, .catalogRead, .customersRead, .licensesRead, .licensesSuspend, .machinesRead, .machinesDeactivate, .usageRead, .eventsRead])
            case .sales: (role, [.accountRead, .catalogRead, .customersRead, .customersWrite, .licensesRead, .licensesCreate, .machinesRead, .usageRead])
            case .readOnly: (role, Permission.reads)
            case .moderator: (role, [.accountRead, .catalogRead])
            }
        })

    /// Whether this role may do `permission`.
    public func allows(_ permission: Permission) -> Bool { permissions.contains(permission) }

    /// Whether a credential of this role may hand out `other` (a token or an invitation): only a
    /// role that can do no more than this one.
    public func mayGrant(_ other: Role) -> Bool { other.permissions.isSubset(of: permissions) }

    /// The prefix of an API token's secret: `tgr_` for read-only tokens, `tga_` for the others.
    public var secretPrefix: String { self == .readOnly ? "tgr_" : "tga_" }
}

/// One thing a route does, which a ``Role`` may or may not do. Every authenticated route names the
/// permission it needs; the README's table lists them.
public enum Permission: String, CaseIterable, Sendable, Codable {
    case accountRead = "account.read"
    /// The account's settings (`PATCH /v1/account`): owners only.
    case accountManage = "account.manage"
    case catalogRead = "catalog.read"
    /// Products, policies (and presets), entitlements, meters: create and change.
    case catalogWrite = "catalog.write"
    case customersRead = "customers.read"
    case customersWrite = "customers.write"
    /// Licenses, their validations, leases and machines' lists; checking out license and machine files.
    case licensesRead = "licenses.read"
    case licensesCreate = "licenses.create"
    /// Suspend and reinstate.
    case licensesSuspend = "licenses.suspend"
    /// Change, renew, revoke, change policy.
    case licensesManage = "licenses.manage"
    case machinesRead = "machines.read"
    /// Activate machines, send their heartbeats, take and return leases, with an API token.
    case machinesWrite = "machines.write"
    case machinesDeactivate = "machines.deactivate"
    /// Quotas, checks and estimates, usage analytics.
    case usageRead = "usage.read"
    case usageWrite = "usage.write"
    case keysRead = "keys.read"
    /// Rotate and retire signing keys.
    case keysManage = "keys.manage"
    /// List, create and revoke API tokens.
    case tokensManage = "tokens.manage"
    /// Invite staff users, change their roles, disable them.
    case usersManage = "users.manage"
    /// The audit trail and its verification.
    case auditRead = "audit.read"
    case eventsRead = "events.read"
    /// Webhook endpoints: create, list, change, delete, rotate their secrets (and, with them,
    /// their deliveries).
    case webhooksManage = "webhooks.manage"
    /// The account's own email templates.
    case notificationsManage = "notifications.manage"

    /// Every permission that only reads.
    public static let reads: Set<Permission> = Set(allCases.filter { $0.rawValue.hasSuffix(".read") })
}
