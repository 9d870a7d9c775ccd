import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import TollgateDomain
import TollgateFormats
import TollgateStore

/// A request body read under the size limit and checked before it reaches a handler.
struct JSONBody: Sendable {
    /// The raw bytes.
    let data: Data
    /// The body as a JSON object.
    let object: JSONValue

    /// Reads the body of `request`: at most `limit` bytes, a JSON object, with only `allowedFields`
    /// at the top level.
    static func read(_ request: Request, limit: Int, allowedFields: Set<String>, requireBody: Bool = true) async throws -> JSONBody {
        let data = try await collect(request, limit: limit)
        if data.allSatisfy(isWhitespace) {
            if requireBody { throw TollgateError.malformed(code: RequestCode.malformedJSON, message: "The request needs a JSON object body.") }
            return JSONBody(data: Data("{}".utf8), object: .object([:]))
        }
        let value: JSONValue
        do {
            value = try JSONDecoder().decode(JSONValue.self, from: data)
        } catch {
            throw TollgateError.malformed(code: RequestCode.malformedJSON, message: "The body is not valid JSON.")
        }
        guard case .object(let members) = value else {
            throw TollgateError.malformed(code: RequestCode.malformedJSON, message: "The body must be a JSON object.")
        }
        if let unknown = members.keys.sorted().first(where: { !allowedFields.contains($0) }) {
            throw TollgateError.invalid(
                code: RequestCode.unknownField, field: unknown,
                message: "Unknown field '\(unknown)'; this request takes \(allowedFields.sorted().joined(separator: ", ")).")
        }
        return JSONBody(data: data, object: value)
    }

    /// Whether `byte` is JSON's whitespace (space, tab, line feed, carriage return).
    static func isWhitespace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 }

    /// The raw body, at most `limit` bytes (413 `PAYLOAD_TOO_LARGE` beyond).
    static func collect(_ request: Request, limit: Int) async throws -> Data {
        do {
            return Data(try await request.body.collect(upTo: limit).readableBytesView)
        } catch is NIOTooManyBytesError {
            throw TollgateError.payloadTooLarge(limit: limit)
        }
    }

    /// The body decoded as `type`.
    func decode<T: Decodable>(_ type: T.Type) throws(TollgateError) -> T {
        try APICoding.decode(type, from: data)
    }

    /// `current` (encoded in the API form) with this body applied as a JSON Merge Patch, decoded.
    func merged<T: Codable>(into current: T) throws(TollgateError) -> T {
        let base: JSONValue
        do {
            base = try JSONDecoder().decode(JSONValue.self, from: try APICoding.encode(current))
        } catch {
            throw .malformed(code: RequestCode.`internal`, message: "The stored object could not be encoded.")
        }
        let patched = base.merging(patch: object)
        let data: Data
        do { data = try JSONEncoder().encode(patched) } catch { throw .malformed(code: RequestCode.malformedJSON, message: "The patch could not be applied.") }
        return try APICoding.decode(T.self, from: data)
    }

    /// SHA-256 of the route (method and path) and `data` as canonical JSON (sorted keys; an
    /// empty body as `{}`): what an idempotency key is bound to. A retry that orders its keys
    /// differently is the same request; a body that is not JSON is hashed as sent.
    static func fingerprint(of data: Data, route: String) -> String {
        var canonical = data
        let blank = data.allSatisfy(isWhitespace)
        if let value = blank ? JSONValue.object([:]) : try? JSONDecoder().decode(JSONValue.self, from: data) {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            canonical = (try? encoder.encode(value)) ?? data
        }
        var hasher = SHA256()
        hasher.update(data: Data("\(route)\n".utf8))
        hasher.update(data: canonical)
        return hasher.finalize().hexString
    }
}

/// Reading query parameters with errors that name the parameter.
extension Request {
    func queryString(_ name: String) -> String? {
        uri.queryParameters[Substring(name)].map { String($0) }.flatMap { $0.isEmpty ? nil : $0 }
    }

    func queryDate(_ name: String) throws(TollgateError) -> Date? {
        guard let text = queryString(name) else { return nil }
        let formatter = ISO8601DateFormatter()
        if let date = formatter.date(from: text) { return date }
        formatter.formatOptions = [.withFullDate]
        if let date = formatter.date(from: text) { return date }
        throw .malformed(code: RequestCode.invalidParameter, message: "'\(name)' must be an ISO 8601 date or time.", field: name)
    }

    func queryEnum<T: APIEnum>(_ name: String, _ type: T.Type) throws(TollgateError) -> T? {
        guard let text = queryString(name) else { return nil }
        guard let value = T(rawValue: text) else {
            let allowed = T.allCases.map(\.rawValue).joined(separator: ", ")
            throw .malformed(code: RequestCode.invalidParameter, message: "'\(name)' must be one of \(allowed).", field: name)
        }
        return value
    }

    /// `limit` (1–100, default 25) and `cursor`.
    func pageRequest() throws(TollgateError) -> TollgateStore.PageRequest {
        var limit = 25
        if let text = queryString("limit") {
            guard let value = Int(text), (1...TollgateStore.PageRequest.maximumLimit).contains(value) else {
                throw .malformed(code: RequestCode.invalidParameter, message: "'limit' must be a whole number from 1 to 100.", field: "limit")
            }
            limit = value
        }
        return TollgateStore.PageRequest(limit: limit, after: queryString("cursor"))
    }

    /// The `Idempotency-Key` header, if sent (1–255 visible ASCII characters).
    func idempotencyKey() throws(TollgateError) -> String? {
        guard let key = headers[HTTPField.Name("Idempotency-Key")!] else { return nil }
        guard (1...255).contains(key.utf8.count), key.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
            throw .malformed(code: RequestCode.invalidIdempotencyKey, message: "'Idempotency-Key' must be 1 to 255 visible ASCII characters.", field: "Idempotency-Key")
        }
        return key
    }
}

/// Request size limits.
struct BodyLimits: Sendable {
    var maxBodyBytes: Int

    /// A usage batch (1,000 events with properties) may be larger than other bodies: 4 MiB, or
    /// the configured limit if that is larger.
    /// It is also the most any route reads, so what a middleware that buffers bodies may take.
    var maxBatchBytes: Int { max(maxBodyBytes, 4 << 20) }
}
