import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import Synchronization
import TollgateDomain
import TollgateFormats

/// The portals' way to the API: a page's form becomes a JSON request to the same router, in
/// process, under the signed-in user's role. So a form is checked, permitted, audited and refused
/// exactly as the API call is, and a page shows the API's error next to the field it names.
///
/// The responder is set once the router is built (the pages are routes of the same router).
final class APIDispatcher: Sendable {
    private let responder = Mutex<RouterResponder<AppRequestContext>?>(nil)
    let logger: Logger

    init(logger: Logger) { self.logger = logger }

    func adopt(_ responder: RouterResponder<AppRequestContext>) { self.responder.withLock { $0 = responder } }

    /// What the API answered: its status and its JSON body as Foundation values (dictionaries,
    /// arrays, strings, numbers), as the templates read them.
    struct Answer: @unchecked Sendable {
        var status: HTTPResponse.Status
        var body: Any
        var headers: HTTPFields

        var ok: Bool { (200..<300).contains(status.code) }
        var object: [String: Any] { body as? [String: Any] ?? [:] }
        /// The API's error, when it refused.
        var error: (code: String, message: String, field: String?)? {
            guard !ok, let error = object["error"] as? [String: Any] else { return nil }
            return (error["code"] as? String ?? "", error["message"] as? String ?? "", error["field"] as? String)
        }
    }

    /// Calls `method path` (with `query`, and `body` as JSON) as `caller`.
    func call(
        _ method: HTTPRequest.Method, _ path: String, query: [String: String] = [:], body: Any? = nil, as caller: APIToken, address: String?
    ) async throws -> Answer {
        guard let responder = responder.withLock({ $0 }) else { throw TollgateError.unavailable(message: "The server is starting.") }
        var components = URLComponents()
        components.path = path
        let items = query.filter { !$0.value.isEmpty }.sorted { $0.key < $1.key }.map { URLQueryItem(name: $0.key, value: $0.value) }
        components.queryItems = items.isEmpty ? nil : items
        var head = HTTPRequest(method: method, scheme: "http", authority: "tollgate.internal", path: components.percentEncodedPath + (components.percentEncodedQuery.map { "?\($0)" } ?? ""))
        var buffer = ByteBuffer()
        if let body {
            buffer = ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: body))
            head.headerFields[.contentType] = "application/json"
        }
        let request = Request(head: head, body: RequestBody(buffer: buffer))
        let context = AppRequestContext(internalCaller: caller, remoteAddress: address, logger: logger)
        let response = try await responder.respond(to: request, context: context)
        let collector = BodyCollector()
        try await response.body.write(collector)
        let data = collector.data.withLock { $0 }
        let value = data.isEmpty ? [String: Any]() : (try? JSONSerialization.jsonObject(with: data)) ?? [String: Any]()
        return Answer(status: response.status, body: value, headers: response.headers)
    }
}

/// Gathers a response body written in process.
private final class BodyCollector: ResponseBodyWriter, Sendable {
    let data = Mutex(Data())
    func write(_ buffer: ByteBuffer) async throws { data.withLock { $0.append(contentsOf: buffer.readableBytesView) } }
    func finish(_ trailingHeaders: HTTPFields?) async throws {}
}
