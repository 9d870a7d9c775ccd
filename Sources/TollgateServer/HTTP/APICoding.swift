import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import TollgateDomain
import TollgateFormats

/// The JSON encoding of the API: camelCase keys, ISO 8601 times.
enum APICoding {
    static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        // A custom strategy, because the built-in one reports no field on failure; this one
        // also accepts fractional seconds.
        decoder.dateDecodingStrategy = .custom { decoder in
            let container = try decoder.singleValueContainer()
            let text = try container.decode(String.self)
            if let date = try? Date(text, strategy: .iso8601) { return date }
            if let date = try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)) { return date }
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "not an ISO 8601 time")
        }
        return decoder
    }

    static func encode(_ value: some Encodable) throws -> Data { try encoder().encode(value) }

    /// Decodes `data`, turning decoding failures into 400/422 errors that name the field.
    static func decode<T: Decodable>(_ type: T.Type, from data: Data) throws(TollgateError) -> T {
        do {
            return try decoder().decode(type, from: data)
        } catch let error as DecodingError {
            if case .dataCorrupted(let context) = error, context.codingPath.isEmpty {
                throw locate(in: data)
            }
            throw describe(error)
        } catch let error as TollgateError {
            throw error
        } catch {
            throw .malformed(code: RequestCode.malformedJSON, message: "The body is not valid JSON.")
        }
    }

    /// Foundation reports a number that is not a whole number (or too large) as invalid JSON
    /// with no field; the body parses as JSON, so find the value and name it.
    static func locate(in data: Data) -> TollgateError {
        guard let value = try? JSONDecoder().decode(JSONValue.self, from: data) else {
            return .malformed(code: RequestCode.malformedJSON, message: "The body is not valid JSON.")
        }
        func find(_ value: JSONValue, _ path: String) -> String? {
            switch value {
            case .number: return path
            case .object(let members):
                for key in members.keys.sorted() {
                    if let found = find(members[key]!, path.isEmpty ? key : "\(path).\(key)") { return found }
                }
            case .array(let items):
                for (index, item) in items.enumerated() {
                    if let found = find(item, "\(path)[\(index)]") { return found }
                }
            default: break
            }
            return nil
        }
        guard let field = find(value, "") else {
            return .malformed(code: RequestCode.malformedJSON, message: "The body could not be read.")
        }
        return .invalid(code: RequestCode.invalidValue, field: field, message: "'\(field)' must be a whole number within range.")
    }

    static func describe(_ error: DecodingError) -> TollgateError {
        func path(_ keys: [any CodingKey], _ last: (any CodingKey)? = nil) -> String {
            (keys + (last.map { [$0] } ?? [])).reduce("") { result, key in
                if let index = key.intValue { return result + "[\(index)]" }
                return result.isEmpty ? key.stringValue : result + "." + key.stringValue
            }
        }
        switch error {
        case .keyNotFound(let key, let context):
            let field = path(context.codingPath, key)
            return .invalid(code: RequestCode.missingField, field: field, message: "'\(field)' is required.")
        case .valueNotFound(_, let context):
            let field = path(context.codingPath)
            return .invalid(code: RequestCode.missingField, field: field, message: "'\(field)' must not be null.")
        case .typeMismatch(let type, let context):
            let field = path(context.codingPath)
            let expected: String
            switch type {
            case is String.Type, is Optional<String>.Type: expected = "a string"
            case is Int.Type, is Int64.Type: expected = "a whole number"
            case is Bool.Type: expected = "true or false"
            case is Date.Type: expected = "an ISO 8601 time"
            default: expected = type is any Collection.Type ? "an array" : "an object"
            }
            if field.isEmpty { return .malformed(code: RequestCode.malformedJSON, message: "The body must be \(expected).") }
            return .invalid(code: RequestCode.invalidType, field: field, message: "'\(field)' must be \(expected).")
        case .dataCorrupted(let context):
            let field = path(context.codingPath)
            if field.isEmpty {
                return .malformed(code: RequestCode.malformedJSON, message: "The body is not valid JSON.")
            }
            var message = context.debugDescription
            if message.hasPrefix("Could not convert key"), let last = context.codingPath.last?.stringValue {
                let parent = context.codingPath.dropLast().map(\.stringValue).joined(separator: ".")
                message = "Unknown key '\(last)' in '\(parent)'."
            } else if message == "not an ISO 8601 time" {
                message = "'\(field)' must be an ISO 8601 time such as 2027-01-31T00:00:00Z."
            }
            return .invalid(code: RequestCode.invalidValue, field: field, message: message)
        @unknown default:
            return .malformed(code: RequestCode.malformedJSON, message: "The body could not be read.")
        }
    }
}

extension Response {
    /// A JSON response of `value` in the API encoding.
    static func json(status: HTTPResponse.Status = .ok, _ value: some Encodable, headers: HTTPFields = [:]) throws -> Response {
        try json(status: status, raw: APICoding.encode(value), headers: headers)
    }

    /// A JSON response of bytes already encoded.
    static func json(status: HTTPResponse.Status = .ok, raw: Data, headers: HTTPFields = [:]) throws -> Response {
        var headers = headers
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: raw)))
    }
}

/// A list page as the API renders it: `{"data":[…],"nextCursor":…}`.
struct PageBody<Item: Encodable>: Encodable {
    var data: [Item]
    var nextCursor: String?

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(data, forKey: .data)
        try container.encode(nextCursor, forKey: .nextCursor)
    }

    enum CodingKeys: String, CodingKey { case data, nextCursor }
}
