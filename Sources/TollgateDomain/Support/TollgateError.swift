import TollgateFormats
/// Every error Tollgate reports to a caller, with a stable code.
///
/// The server maps each case to one HTTP status in one place (`TollgateError+HTTP.swift`)
/// and renders it as `{"error":{"code":"…","message":"…","field":"…"}}`.
public enum TollgateError: CodedError, Equatable {
    /// Errors are equal when they answer the same: code, message, field and the extra members.
    public static func == (lhs: TollgateError, rhs: TollgateError) -> Bool {
        lhs.code == rhs.code && lhs.message == rhs.message && lhs.field == rhs.field && lhs.extras == rhs.extras
    }

    /// What the error adds to its code, message and field.
    var extras: [String] {
        switch self {
        case .unauthorized(_, _, let status): [status ?? ""]
        case .limitExceeded(_, _, let count, let limit): ["\(count)", "\(limit)"]
        case .notFound(let resource, let id): [resource, id]
        case .payloadTooLarge(let limit): ["\(limit)"]
        case .throttled(_, _, let retryAfter): ["\(retryAfter)"]
        case .routeNotFound(let method, let path): [method, path]
        default: []
        }
    }

    /// The body is not JSON, or a query parameter cannot be read. 400.
    case malformed(code: any ErrorCode = RequestCode.malformedRequest, message: String, field: String? = nil)
    /// No or an unknown credential. 401. `licenseStatus` tells a refused machine token's holder
    /// why (`suspended`, `revoked`…), so it learns of the change from the refusal itself.
    case unauthorized(code: any ErrorCode = RequestCode.unauthorized, message: String, licenseStatus: String? = nil)
    /// The credential may not do this, or the license's state forbids it. 403.
    case forbidden(code: any ErrorCode = RequestCode.forbidden, message: String)
    /// The object does not exist in the caller's account. 404.
    case notFound(resource: String, id: String)
    /// The request contradicts the object's current state. 409.
    case conflict(code: any ErrorCode, message: String, field: String? = nil)
    /// The body is larger than the limit. 413.
    case payloadTooLarge(limit: Int)
    /// A field is missing, of the wrong type or out of range. 422.
    case invalid(code: any ErrorCode = RequestCode.validationFailed, field: String?, message: String)
    /// A limit of the license would be exceeded. 422, with the current `count` and the `limit`.
    case limitExceeded(code: any ErrorCode, message: String, count: Int, limit: Int)
    /// Too many attempts; the caller may try again after `retryAfter` seconds. 429.
    case throttled(code: any ErrorCode, message: String, retryAfter: Int)
    /// The store cannot answer right now. 503.
    case unavailable(message: String)
    /// No route matches the method and path. 404.
    case routeNotFound(method: String, path: String)
    /// Something failed that the caller did not cause; the details are logged, not sent. 500.
    case `internal`

    /// The stable, machine-readable code.
    public var code: String {
        switch self {
        case .malformed(let code, _, _): code.rawValue
        case .unauthorized(let code, _, _): code.rawValue
        case .forbidden(let code, _): code.rawValue
        case .notFound: "NOT_FOUND"
        case .conflict(let code, _, _): code.rawValue
        case .payloadTooLarge: "PAYLOAD_TOO_LARGE"
        case .invalid(let code, _, _): code.rawValue
        case .limitExceeded(let code, _, _, _): code.rawValue
        case .throttled(let code, _, _): code.rawValue
        case .unavailable: "STORE_UNAVAILABLE"
        case .routeNotFound: "ROUTE_NOT_FOUND"
        case .internal: "INTERNAL"
        }
    }

    /// A sentence for a person.
    public var message: String {
        switch self {
        case .malformed(_, let message, _), .unauthorized(_, let message, _), .forbidden(_, let message),
            .conflict(_, let message, _), .invalid(_, _, let message), .unavailable(let message),
            .limitExceeded(_, let message, _, _), .throttled(_, let message, _):
            message
        case .notFound(let resource, let id): "No \(resource) with id '\(id)' exists in this account."
        case .payloadTooLarge(let limit): "The request body is larger than the limit of \(limit) bytes."
        case .routeNotFound(let method, let path): "No route \(method) \(path)."
        case .internal: "An internal error occurred; it has been logged."
        }
    }

    /// The request field the error is about, if one is.
    public var field: String? {
        switch self {
        case .malformed(_, _, let field), .conflict(_, _, let field), .invalid(_, let field, _): field
        default: nil
        }
    }
}
