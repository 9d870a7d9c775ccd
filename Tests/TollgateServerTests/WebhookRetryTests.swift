import Foundation
import HTTPTypes
import Synchronization
import Testing
import TollgateDomain
import TollgateStore
@testable import TollgateServer

#if canImport(Glibc)
import Glibc
#endif

/// Retries on the schedule, on a moved clock: a receiver that answers 500, then one that does not
/// answer in time, then one that refuses connections, gets every attempt of ``WebhookRetrySchedule/standard`` and no more, and after the
/// last the endpoint is disabled with a `webhook_endpoint.disabled` event; an answer of 2xx ends it.
@Suite(.serialized) struct WebhookRetryTests {
    @Test func failuresAreRetriedOnTheScheduleThenTheEndpointIsDisabled() async throws {
        let receiver = try Receiver(status: 500)
        defer { receiver.close() }
        let app = try await TestApp.make(
            environment: ["TOLLGATE_WEBHOOK_ALLOW": "loopback", "TOLLGATE_WEBHOOK_POLL_MS": "20", "TOLLGATE_WEBHOOK_TIMEOUT_MS": "300"])
        try await app.run { client in
            let created = try await client.send(.post, "/v1/webhook-endpoints", ["url": receiver.url, "eventTypes": ["customer.created"]])
            let id = try #require(created.object["id"] as? String)
            #expect(try await client.send(.post, "/v1/customers", ["name": "Acme"]).status == 201)
            try await Self.waitForAttempts(1, app: app)
            let schedule = WebhookRetrySchedule.standard
            for (index, delay) in schedule.delays.enumerated() {
                // Not before its time...
                app.clock.advance(by: TimeInterval(delay - 1))
                try await Task.sleep(for: .milliseconds(150))
                #expect(try await Self.attempts(app) == index + 1, "attempt \(index + 2) came early")
                // ...and then at once. After two 500s the receiver stops answering, after five
                // it stops listening.
                if index == 1 { receiver.hang = true }
                if index == 4 { receiver.refuseConnections() }
                app.clock.advance(by: 1)
                try await Self.waitForAttempts(index + 2, app: app)
            }
            #expect(receiver.count == 5, "two answered 500, three timed out, the others were refused")
            app.clock.advance(by: 7 * 86_400)
            try await Task.sleep(for: .milliseconds(200))
            #expect(try await Self.attempts(app) == schedule.attempts, "no attempt after the last")
            let endpoint = try await client.send(.get, "/v1/webhook-endpoints/\(id)")
            #expect(endpoint.object["status"] as? String == "disabled")
            #expect((endpoint.object["disabledReason"] as? String)?.contains("77 hours") == true, "\(endpoint.text)")
            let disabled = try await client.send(.get, "/v1/events?type=webhook_endpoint.disabled").list
            #expect(disabled.count == 1 && disabled.first?["actor"] as? String == "system:webhooks")
            let rows = try await app.built.services.store.read { try await $0.webhookDeliveries.list(accountId: app.built.defaultAccount.id, endpointId: id, limit: 10) }
            #expect(rows.count == 1 && rows[0].state == .failed && rows[0].attempts == schedule.attempts)
            let log = try #require(try await client.send(.get, "/v1/webhook-endpoints/\(id)/deliveries").list.first?["attempts"] as? [[String: Any]])
            let errors = log.map { ($0["error"] as? String ?? "").prefix(9) }
            #expect(errors == ["HTTP 500", "HTTP 500", "Timed out", "Timed out", "Timed out"] + Array(repeating: "No answer", count: 5), "\(errors)")
            #expect(log.prefix(2).allSatisfy { $0["status"] as? Int == 500 } && log.dropFirst(2).allSatisfy { $0["status"] == nil })
        }
    }

    @Test func aTwoHundredEndsTheDelivery() async throws {
        let receiver = try Receiver(status: 500)
        defer { receiver.close() }
        let app = try await TestApp.make(environment: ["TOLLGATE_WEBHOOK_ALLOW": "loopback", "TOLLGATE_WEBHOOK_POLL_MS": "20"])
        try await app.run { client in
            let id = try #require(
                try await client.send(.post, "/v1/webhook-endpoints", ["url": receiver.url, "eventTypes": ["customer.created"]]).object["id"] as? String)
            _ = try await client.send(.post, "/v1/customers", ["name": "Acme"])
            try await Self.waitForAttempts(1, app: app)
            receiver.status = 200
            app.clock.advance(by: 5)
            try await receiver.waitFor(2)
            app.clock.advance(by: 86_400)
            try await Task.sleep(for: .milliseconds(200))
            #expect(receiver.count == 2)
            let rows = try await app.built.services.store.read { try await $0.webhookDeliveries.list(accountId: app.built.defaultAccount.id, endpointId: id, limit: 10) }
            #expect(rows.map(\.state) == [.succeeded] && rows[0].lastStatus == 200)
            #expect(try await client.send(.get, "/v1/webhook-endpoints/\(id)").object["status"] as? String == "enabled")
        }
    }

    /// Attempts made and recorded of every delivery of the account's endpoints (an attempt under
    /// way is not counted until its outcome is written: the clock must not move under it, or its
    /// lease would run out and another claim would make it again).
    static func attempts(_ app: TestApp) async throws -> Int {
        let accountId = app.built.defaultAccount.id
        return try await app.built.services.store.read { session in
            var total = 0
            for endpoint in try await session.webhookEndpoints.list(accountId: accountId, page: PageRequest(limit: 10, after: nil)).items {
                total += try await session.webhookDeliveries.list(accountId: accountId, endpointId: endpoint.id, limit: 100)
                    .reduce(0) { $0 + $1.attempts - ($1.state == .delivering ? 1 : 0) }
            }
            return total
        }
    }

    static func waitForAttempts(_ count: Int, app: TestApp) async throws {
        for _ in 0..<400 {
            if try await attempts(app) >= count { return }
            try await Task.sleep(for: .milliseconds(25))
        }
        Issue.record("attempt \(count) was not made")
    }
}

/// A receiver on a free loopback port that answers every request with `status` and counts them;
/// after ``refuseConnections()`` nothing listens there.
final class Receiver: @unchecked Sendable {
    private let socketDescriptor: Int32
    private let lock = NSLock()
    private var _count = 0
    private var _status: Int
    private var _hang = false
    private var closed = false
    let url: String

    var count: Int { lock.withLock { _count } }
    var status: Int {
        get { lock.withLock { _status } }
        set { lock.withLock { _status = newValue } }
    }
    /// Reads requests and never answers them (until the sender gives up, or 10 s).
    var hang: Bool {
        get { lock.withLock { _hang } }
        set { lock.withLock { _hang = newValue } }
    }

    init(status: Int) throws {
        _status = status
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) } }
        guard bound == 0, listen(descriptor, 16) == 0 else { throw TestFailure("receiver cannot listen") }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) } }
        socketDescriptor = descriptor
        url = "http://127.0.0.1:\(UInt16(bigEndian: address.sin_port))/hooks"
        Thread { [self] in serve() }.start()
    }

    private func serve() {
        while true {
            let connection = accept(socketDescriptor, nil, nil)
            guard connection >= 0 else { return }
            Thread { [self] in answer(connection) }.start()
        }
    }

    /// Reads one request (its head, then as much body as Content-Length says), answers, closes.
    private func answer(_ connection: Int32) {
        var request = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let read = recv(connection, &buffer, buffer.count, 0)
            if read <= 0 {
                Glibc.close(connection)
                return
            }
            request += buffer[0..<read]
            let text = String(decoding: request, as: UTF8.self)
            if let end = text.range(of: "\r\n\r\n") {
                let head = text[..<end.lowerBound].lowercased()
                let length = head.split(separator: "\r\n").first { $0.hasPrefix("content-length:") }
                    .flatMap { Int($0.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) } ?? 0
                if request.count >= text.utf8.distance(from: text.utf8.startIndex, to: end.upperBound) + length { break }
            }
        }
        let (status, hang) = lock.withLock { () -> (Int, Bool) in _count += 1; return (_status, _hang) }
        if hang {
            var pollable = pollfd(fd: connection, events: Int16(POLLIN), revents: 0)
            _ = poll(&pollable, 1, 10_000)
            Glibc.close(connection)
            return
        }
        let answer = Array("HTTP/1.1 \(status) X\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok".utf8)
        _ = send(connection, answer, answer.count, Int32(MSG_NOSIGNAL))
        Glibc.close(connection)
    }

    func waitFor(_ count: Int) async throws {
        for _ in 0..<400 {
            if self.count >= count { return }
            try await Task.sleep(for: .milliseconds(25))
        }
        Issue.record("the receiver got \(self.count) requests, not \(count)")
    }

    /// Stops listening: connections are refused from now on.
    func refuseConnections() {
        lock.withLock {
            guard !closed else { return }
            closed = true
            shutdown(socketDescriptor, Int32(SHUT_RDWR))
            Glibc.close(socketDescriptor)
        }
    }

    func close() { refuseConnections() }
}
