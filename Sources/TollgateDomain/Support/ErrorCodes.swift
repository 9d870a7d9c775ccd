import TollgateFormats

/// A stable error code of one area, as the API answers it in `{"error":{"code":…}}`. Each area
/// has its own enum of codes; a ``TollgateError`` carries one, and the server chooses the HTTP
/// status from the error's case in one place (`TollgateError+HTTP.swift`). Codes a client reads
/// offline (`BAD_SIGNATURE`, `FILE_EXPIRED`…) are the formats' own (`LicenseFileError`,
/// `LicenseKeyError`).
public protocol ErrorCode: Sendable {
    /// The code as the API spells it.
    var rawValue: String { get }
}

/// Codes of requests as such: bodies, parameters, credentials, idempotency.
public enum RequestCode: String, ErrorCode {
    case malformedRequest = "MALFORMED_REQUEST"
    case malformedJSON = "MALFORMED_JSON"
    case badRequest = "BAD_REQUEST"
    case methodNotAllowed = "METHOD_NOT_ALLOWED"
    case invalidParameter = "INVALID_PARAMETER"
    case missingField = "MISSING_FIELD"
    case invalidType = "INVALID_TYPE"
    case invalidValue = "INVALID_VALUE"
    case unknownField = "UNKNOWN_FIELD"
    case immutableField = "IMMUTABLE_FIELD"
    case validationFailed = "VALIDATION_FAILED"
    case referenceNotFound = "REFERENCE_NOT_FOUND"
    case invalidIdempotencyKey = "INVALID_IDEMPOTENCY_KEY"
    case idempotencyKeyReused = "IDEMPOTENCY_KEY_REUSED"
    case unauthorized = "UNAUTHORIZED"
    case forbidden = "FORBIDDEN"
    /// The credential's role does not have the permission the route needs.
    case permissionDenied = "PERMISSION_DENIED"
    case `internal` = "INTERNAL"
    /// The credential, or the client address after too many failures, is over its rate limit (429).
    case rateLimited = "RATE_LIMITED"
}

/// Codes of products, policies, customers and the entitlement catalogue.
public enum CatalogCode: String, ErrorCode {
    case duplicate = "DUPLICATE"
    case productCodeTaken = "PRODUCT_CODE_TAKEN"
    case entitlementCodeTaken = "ENTITLEMENT_CODE_TAKEN"
    case unknownEntitlement = "UNKNOWN_ENTITLEMENT"
    case unknownLimit = "UNKNOWN_LIMIT"
    case invalidLimitCode = "INVALID_LIMIT_CODE"
}

/// Codes of metering: meters and usage.
public enum MeteringCode: String, ErrorCode {
    case meterCodeTaken = "METER_CODE_TAKEN"
    /// A usage batch holds more events than one request takes.
    case tooManyEvents = "TOO_MANY_EVENTS"
    // Reasons of a refused event of a batch (its result, not the request's status).
    case invalidUsageEvent = "INVALID_USAGE_EVENT"
    case invalidQuantity = "INVALID_QUANTITY"
    case unknownMeter = "UNKNOWN_METER"
    case unknownLicense = "UNKNOWN_LICENSE"
    case unknownMachine = "UNKNOWN_MACHINE"
    case timestampOutOfRange = "TIMESTAMP_OUT_OF_RANGE"
    case usageEventConflict = "USAGE_EVENT_CONFLICT"
    /// The event would take usage past a blocking limit (an event's result; `POST /v1/usage/check` answers it too).
    case usageLimitReached = "USAGE_LIMIT_REACHED"
    /// The license has no limit with a period for the meter (`POST /v1/usage/check`).
    case noQuota = "NO_QUOTA"
    /// A telemetry event for a license whose policy did not opt into telemetry.
    case telemetryNotOptedIn = "TELEMETRY_NOT_OPTED_IN"
}

/// Codes of a license's state and its key, where a route refuses because of them.
public enum LicenseCode: String, ErrorCode {
    case suspended = "SUSPENDED"
    case revoked = "REVOKED"
    case expired = "EXPIRED"
    case licenseKeyInvalid = "LICENSE_KEY_INVALID"
    case licenseAlreadySuspended = "LICENSE_ALREADY_SUSPENDED"
    case licenseNotSuspended = "LICENSE_NOT_SUSPENDED"
    case licenseRevoked = "LICENSE_REVOKED"
    case licensePerpetual = "LICENSE_PERPETUAL"
    case policyUnchanged = "POLICY_UNCHANGED"
    case policyProductMismatch = "POLICY_PRODUCT_MISMATCH"
}

/// Codes of machines, their seats and clusters, and leases.
public enum MachineCode: String, ErrorCode {
    case fingerprintTaken = "FINGERPRINT_TAKEN"
    case machineLimitExceeded = "MACHINE_LIMIT_EXCEEDED"
    case clusterLimitExceeded = "CLUSTER_LIMIT_EXCEEDED"
    case nodeLimitExceeded = "NODE_LIMIT_EXCEEDED"
    case clusterDraining = "CLUSTER_DRAINING"
    case machineDeactivated = "MACHINE_DEACTIVATED"
    case machineAlreadyDeactivated = "MACHINE_ALREADY_DEACTIVATED"
    case machineNotDead = "MACHINE_NOT_DEAD"
    case concurrencyLimitExceeded = "CONCURRENCY_LIMIT_EXCEEDED"
    case leaseExpired = "LEASE_EXPIRED"
}

/// Codes of machine tokens (and the verdicts of `POST /v1/tokens/verify`).
public enum TokenCode: String, ErrorCode {
    case valid = "VALID"
    case tokenInvalid = "TOKEN_INVALID"
    case tokenExpired = "TOKEN_EXPIRED"
    case tokenRevoked = "TOKEN_REVOKED"
    case machineDeactivated = "MACHINE_DEACTIVATED"
    /// Revoking the account's last live owner token would leave nobody able to manage it.
    case lastOwner = "LAST_OWNER"
}

/// Codes of portal users, invitations and signing in.
public enum UserCode: String, ErrorCode {
    /// A user of the same kind has the email.
    case emailTaken = "EMAIL_TAKEN"
    /// A new invitation for a user who has joined or is disabled.
    case userNotInvited = "USER_NOT_INVITED"
    /// An invitation link that is unknown, used or expired.
    case invitationInvalid = "INVITATION_INVALID"
    /// A password too short, too long or too common (``PasswordRules``).
    case weakPassword = "WEAK_PASSWORD"
    /// The email and password do not match a user who may sign in.
    case signInFailed = "SIGN_IN_FAILED"
    /// Too many failed sign-ins for the user or the address (``SignInThrottle``).
    case signInThrottled = "SIGN_IN_THROTTLED"
    /// A two-factor code that is wrong, expired or used already.
    case codeInvalid = "CODE_INVALID"
}

/// Codes of signing keys.
public enum KeyCode: String, ErrorCode {
    case keyIdTaken = "KEY_ID_TAKEN"
    case keyIdMismatch = "KEY_ID_MISMATCH"
    case keyAlreadyRetired = "KEY_ALREADY_RETIRED"
    case keyIsLast = "KEY_IS_LAST"
}

/// Codes of webhook endpoints and their deliveries.
public enum WebhookCode: String, ErrorCode {
    /// A ping or a retry for an endpoint that is disabled (enable it first).
    case endpointDisabled = "ENDPOINT_DISABLED"
    /// A retry of a delivery whose attempt is under way.
    case deliveryInProgress = "DELIVERY_IN_PROGRESS"
}

/// Codes of air-gapped activation requests and deactivation receipts.
public enum OfflineCode: String, ErrorCode {
    case requestMalformed = "REQUEST_MALFORMED"
    case requestInFuture = "REQUEST_IN_FUTURE"
    case requestExpired = "REQUEST_EXPIRED"
    case requestUsed = "REQUEST_USED"
    case receiptMalformed = "RECEIPT_MALFORMED"
    case proofInvalid = "PROOF_INVALID"
}
