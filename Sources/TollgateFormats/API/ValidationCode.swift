/// The outcome of a validation, or one failing check of it.
public enum ValidationCode: String, Codable, Sendable, CaseIterable {
    case valid = "VALID"
    /// Expired but within the policy's grace period: still valid.
    case inGracePeriod = "IN_GRACE_PERIOD"
    /// Well-formed and signed, but no such license (deleted, or another server's).
    case notFound = "NOT_FOUND"
    case mistyped = "MISTYPED"
    case badSignature = "BAD_SIGNATURE"
    case suspended = "SUSPENDED"
    case expired = "EXPIRED"
    case revoked = "REVOKED"
    case productScopeMismatch = "PRODUCT_SCOPE_MISMATCH"
    case entitlementsMissing = "ENTITLEMENTS_MISSING"
    /// The scope names a fingerprint that no machine of the license has.
    case noMachine = "NO_MACHINE"

    /// Whether a license with this main code may be used.
    public var isValid: Bool { self == .valid || self == .inGracePeriod }
}

/// One failing check of a validation.
public struct ValidationReason: Codable, Sendable, Equatable {
    public var code: ValidationCode
    public var message: String

    public init(_ code: ValidationCode, _ message: String) {
        self.code = code
        self.message = message
    }
}

/// What the app should allow: everything, reading only, or nothing.
public enum AccessLevel: String, Codable, Sendable {
    case full
    case readOnly = "read-only"
    case none
}

/// What a validation asks beyond "is this key good".
public struct ValidationScope: Codable, Sendable, Equatable {
    public var productId: String?
    public var fingerprint: String?
    public var entitlements: [String]?
    /// Asks for the license's usage of each limit with a period (`license.usage` in the answer).
    public var usage: Bool?

    public init(productId: String? = nil, fingerprint: String? = nil, entitlements: [String]? = nil, usage: Bool? = nil) {
        self.productId = productId
        self.fingerprint = fingerprint
        self.entitlements = entitlements
        self.usage = usage
    }
}
