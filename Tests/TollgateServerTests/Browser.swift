import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Synchronization
@testable import TollgateServer

/// A browser over the test client: keeps cookies, sends forms, reads a page's CSRF token.
final class Browser: Sendable {
    let client: TestApp.Client
    private let cookies = Mutex<[String: String]>([:])

    init(_ client: TestApp.Client) { self.client = client }

    struct Page: Sendable {
        let status: Int
        let headers: HTTPFields
        let html: String
        var location: String? { headers[.location] }
        /// The first form's CSRF token.
        var csrf: String? {
            html.range(of: #"name="csrf" value="([^"]*)""#, options: .regularExpression).map {
                String(html[$0]).replacingOccurrences(of: #"name="csrf" value=""#, with: "").replacingOccurrences(of: "\"", with: "")
            }
        }
    }

    func get(_ path: String) async throws -> Page { try await send(.get, path, form: nil) }

    /// Posts `fields`, with the token of `csrfFrom`'s page unless `fields` has one.
    func post(_ path: String, _ fields: [String: String], csrfFrom page: Page? = nil) async throws -> Page {
        var fields = fields
        if fields["csrf"] == nil, let token = page?.csrf { fields["csrf"] = token }
        return try await send(.post, path, form: fields)
    }

    func send(_ method: HTTPRequest.Method, _ path: String, form: [String: String]?, raw: String? = nil) async throws -> Page {
        var headers: HTTPFields = [:]
        let jar = cookies.withLock { $0 }
        if !jar.isEmpty { headers[.cookie] = jar.map { "\($0.key)=\($0.value)" }.sorted().joined(separator: "; ") }
        var body: ByteBuffer?
        if let raw {
            body = ByteBuffer(string: raw)
            headers[.contentType] = "application/x-www-form-urlencoded"
        } else if let form {
            var components = URLComponents()
            components.queryItems = form.sorted { $0.key < $1.key }.map { URLQueryItem(name: $0.key, value: $0.value) }
            body = ByteBuffer(string: (components.percentEncodedQuery ?? "").replacingOccurrences(of: "+", with: "%2B"))
            headers[.contentType] = "application/x-www-form-urlencoded"
        }
        let response = try await client.client.executeRequest(uri: path, method: method, headers: headers, body: body)
        for field in response.headers[values: .setCookie] {
            let pair = field.split(separator: ";")[0].split(separator: "=", maxSplits: 1)
            let (name, value) = (String(pair[0]), pair.count > 1 ? String(pair[1]) : "")
            cookies.withLock { if value.isEmpty || field.contains("Expires=Thu, 01 Jan 1970") { $0[name] = nil } else { $0[name] = value } }
        }
        return Page(status: Int(response.status.code), headers: response.headers, html: String(decoding: response.body.readableBytesView, as: UTF8.self))
    }

    func setCookie(_ name: String, _ value: String?) { cookies.withLock { $0[name] = value } }
    func cookie(_ name: String) -> String? { cookies.withLock { $0[name] } }
}
