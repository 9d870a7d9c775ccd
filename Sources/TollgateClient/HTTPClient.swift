import Foundation

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// JSON over HTTP with URLSession: the one place the SDK talks to the server.
struct HTTPClient: Sendable {
    let baseURL: URL
    let session: URLSession

    init(baseURL: URL, timeout: TimeInterval) {
        self.baseURL = baseURL
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = timeout
        configuration.timeoutIntervalForResource = timeout
        session = URLSession(configuration: configuration)
    }

    /// An answer: status, headers, the exact body bytes, and the body as a JSON object.
    struct Answer: Sendable {
        var status: Int
        var headers: [String: String]
        var body: Data

        var object: [String: Any] { (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] ?? [:] }

        func header(_ name: String) -> String? {
            headers.first { $0.key.caseInsensitiveCompare(name) == .orderedSame }?.value
        }

        /// The server's `Date` header.
        var date: Date? {
            header("Date").flatMap { Self.httpDate.date(from: $0) }
        }

        /// The answer, or ``TollgateClientError/refused(status:code:message:)`` for a 4xx and
        /// ``TollgateClientError/unreachable(_:)`` for a 5xx.
        func requireSuccess() throws -> Answer {
            if status < 300 { return self }
            let error = object["error"] as? [String: Any]
            let code = error?["code"] as? String ?? "HTTP_\(status)"
            let message = error?["message"] as? String ?? ""
            if status >= 500 { throw TollgateClientError.unreachable("\(status) \(code): \(message)") }
            throw TollgateClientError.refused(status: status, code: code, message: message)
        }

        static let httpDate: DateFormatter = {
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.timeZone = TimeZone(identifier: "GMT")
            formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
            return formatter
        }()
    }

    /// Sends a request; throws ``TollgateClientError/unreachable(_:)`` when no answer came.
    func send(_ method: String, _ path: String, json: [String: Any]? = nil, authorization: String? = nil, headers: [String: String] = [:]) async throws
        -> Answer
    {
        var request = URLRequest(url: baseURL.appendingPathComponent(path))
        request.httpMethod = method
        if let json {
            request.httpBody = try JSONSerialization.data(withJSONObject: json)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        if let authorization { request.setValue(authorization, forHTTPHeaderField: "Authorization") }
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        do {
            let (data, response) = try await session.data(for: request)
            guard let http = response as? HTTPURLResponse else { throw TollgateClientError.unreachable("not an HTTP answer") }
            var fields: [String: String] = [:]
            for (name, value) in http.allHeaderFields {
                if let name = name as? String, let value = value as? String { fields[name] = value }
            }
            return Answer(status: http.statusCode, headers: fields, body: data)
        } catch let error as TollgateClientError {
            throw error
        } catch {
            throw TollgateClientError.unreachable(error.localizedDescription)
        }
    }
}
