import Foundation
import Hummingbird
import TollgateDomain

/// A form's fields (`application/x-www-form-urlencoded`, decoded by Foundation's `URLComponents`
/// once `+` is read as a space), read under the body limit. A field given more than once (the
/// check boxes of a bulk action) keeps every value in ``all(_:)``.
struct FormBody: Sendable {
    let pairs: [(String, String)]

    static func read(_ request: Request, limit: Int) async throws -> FormBody {
        let data = try await JSONBody.collect(request, limit: limit)
        // URLComponents stops the process on a query with characters a URL cannot hold: checked first.
        guard isEncoded(data) else { throw TollgateError.malformed(message: "The form is not URL-encoded.") }
        var components = URLComponents()
        components.percentEncodedQuery = String(decoding: data, as: UTF8.self).replacingOccurrences(of: "+", with: "%20")
        return FormBody(pairs: (components.queryItems ?? []).map { ($0.name, $0.value ?? "") })
    }

    /// Whether `data` holds only what a URL's query may: unreserved characters, sub-delimiters,
    /// `:@/?` and `%` with two hex digits.
    static func isEncoded(_ data: Data) -> Bool {
        let allowed = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~!$&'()*+,;=:@/?".utf8)
        let hex = Set("0123456789ABCDEFabcdef".utf8)
        let bytes = Array(data)
        var index = 0
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "%") {
                guard index + 2 < bytes.count, hex.contains(bytes[index + 1]), hex.contains(bytes[index + 2]) else { return false }
                index += 3
            } else {
                guard allowed.contains(bytes[index]) else { return false }
                index += 1
            }
        }
        return true
    }

    subscript(_ name: String) -> String? { pairs.first { $0.0 == name }?.1 }

    func all(_ name: String) -> [String] { pairs.filter { $0.0 == name }.map(\.1) }

    /// The field trimmed, or `nil` when it is missing or blank.
    func text(_ name: String) -> String? { self[name]?.trimmingCharacters(in: .whitespacesAndNewlines).nilIfEmpty }
}
