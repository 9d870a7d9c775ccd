import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import TollgateDomain
import TollgateFormats

/// The one place that maps domain errors to HTTP, and the one error shape:
/// `{"error":{"code":"…","message":"…","field":"…"}}`.
extension TollgateError: HTTPResponseError {
    public var status: HTTPResponse.Status {
        switch self {
        case .malformed: .badRequest
        case .unauthorized: .unauthorized
        case .forbidden: .forbidden
        case .notFound: .notFound
        case .conflict: .conflict
        case .payloadTooLarge: .contentTooLarge
        case .invalid, .limitExceeded: .unprocessableContent
        case .throttled: .tooManyRequests
        case .unavailable: .serviceUnavailable
        case .routeNotFound: .notFound
        case .internal: .internalServerError
        }
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var headers: HTTPFields = [.contentType: "application/json"]
        if case .unauthorized = self { headers[.wwwAuthenticate] = "Bearer" }
        if case .unavailable = self { headers[.retryAfter] = "2" }
        if case .throttled(_, _, let seconds) = self { headers[.retryAfter] = "\(seconds)" }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }

    /// The JSON body.
    public var body: Data {
        struct Envelope: Encodable {
            struct Detail: Encodable {
                var code: String
                var message: String
                var field: String?
                var count: Int?
                var limit: Int?
                var licenseStatus: String?
            }
            var error: Detail
        }
        var detail = Envelope.Detail(code: code, message: message, field: field)
        switch self {
        case .limitExceeded(_, _, let count, let limit):
            detail.count = count
            detail.limit = limit
        case .unauthorized(_, _, let status): detail.licenseStatus = status
        default: break
        }
        return (try? JSONEncoder().encode(Envelope(error: detail))) ?? Data()
    }
}
