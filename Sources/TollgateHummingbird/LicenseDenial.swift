import Foundation
import HTTPTypes
import Hummingbird
import TollgateClient

/// The answer the middleware gives when the license does not allow a request, in Tollgate's one
/// error shape: `{"error":{"code","message",…}}` with what is missing and which tier includes it.
///
/// - 402 `LICENSE_REQUIRED`: no usable license (inactive, failed); `state` says why.
/// - 403 `FEATURE_NOT_ENTITLED`: `feature`, `currentTier`, `requiredTier`.
/// - 402 `USAGE_LIMIT_REACHED`: `limit`, `used`, `maximum`, `currentTier`, `requiredTier` (a tier with more).
/// - 429 `RATE_LIMITED`: `limit` (requests per second), `currentTier`, with `Retry-After`.
public struct LicenseDenial: Error, Sendable, Equatable {
    /// The middleware's codes.
    public enum Code: String, Sendable {
        case licenseRequired = "LICENSE_REQUIRED"
        case featureNotEntitled = "FEATURE_NOT_ENTITLED"
        case usageLimitReached = "USAGE_LIMIT_REACHED"
        case rateLimited = "RATE_LIMITED"
    }

    public var status: HTTPResponse.Status
    public var code: Code
    public var message: String
    /// Extra members of `error` (strings, numbers, `nil` as JSON null).
    public var details: [String: Detail]
    public var retryAfterSeconds: Int?

    public enum Detail: Sendable, Equatable {
        case string(String?)
        case number(Int?)
    }

    public init(status: HTTPResponse.Status, code: Code, message: String, details: [String: Detail] = [:], retryAfterSeconds: Int? = nil) {
        self.status = status
        self.code = code
        self.message = message
        self.details = details
        self.retryAfterSeconds = retryAfterSeconds
    }

    /// 402: HTTPTypes names no constant for it.
    public static let paymentRequired = HTTPResponse.Status(code: 402, reasonPhrase: "Payment Required")

    /// No usable license.
    static func licenseRequired(_ state: ClientState) -> LicenseDenial {
        let reason: String
        switch state {
        case .inactive: reason = "inactive"
        case .failed(let failure): reason = failure.code
        default: reason = "unknown"
        }
        return LicenseDenial(
            status: Self.paymentRequired, code: .licenseRequired, message: "This needs a valid license (\(reason)).", details: ["state": .string(reason)])
    }

    /// The response, as JSON in the error shape.
    public var response: Response {
        var error: [String: Any] = ["code": code.rawValue, "message": message]
        for (name, detail) in details {
            switch detail {
            case .string(let value): error[name] = value ?? NSNull()
            case .number(let value): error[name] = value ?? NSNull()
            }
        }
        let data = (try? JSONSerialization.data(withJSONObject: ["error": error], options: [.sortedKeys])) ?? Data()
        var headers: HTTPFields = [.contentType: "application/json"]
        if let retryAfterSeconds { headers[.retryAfter] = String(retryAfterSeconds) }
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }
}
