import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import TollgateCore

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
        case .invalid: .unprocessableContent
        case .unavailable: .serviceUnavailable
        }
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var headers: HTTPFields = [.contentType: "application/json"]
        if case .unauthorized = self { headers[.wwwAuthenticate] = "Bearer" }
        if case .unavailable = self { headers[.retryAfter] = "2" }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }

    /// The JSON body.
    public var body: Data {
        struct Envelope: Encodable {
            struct Detail: Encodable {
                var code: String
                var message: String
                var field: String?
            }
            var error: Detail
        }
        return (try? JSONEncoder().encode(Envelope(error: .init(code: code, message: message, field: field)))) ?? Data()
    }
}

extension TollgateError {
    /// The error for any error that escaped a handler. Known framework errors keep their
    /// meaning; anything else is a 500 and is logged.
    static func from(_ error: any Error) -> TollgateError? {
        switch error {
        case let error as TollgateError: return error
        case let error as LicenseTransitionError: return error.asError
        case is NIOTooManyBytesError: return .payloadTooLarge(limit: 0)
        case let error as any StoreErrorConvertible: return error.tollgateError
        case let error as HTTPError:
            switch error.status {
            case .notFound: return .notFound(resource: "route", id: "")
            case .methodNotAllowed: return .malformed(code: "METHOD_NOT_ALLOWED", message: "This method is not allowed on this route.")
            case .contentTooLarge: return .payloadTooLarge(limit: 0)
            default:
                if (400..<500).contains(error.status.code) {
                    return .malformed(code: "BAD_REQUEST", message: error.body ?? error.status.reasonPhrase)
                }
                return nil
            }
        default: return nil
        }
    }
}

/// Store errors that have an API meaning.
protocol StoreErrorConvertible { var tollgateError: TollgateError? { get } }
