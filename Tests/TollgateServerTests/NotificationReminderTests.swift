import Foundation
import HTTPTypes
import Testing
import TollgateDomain
@testable import TollgateServer

/// Renewal reminders and the expiry notice on a moved clock, delivered to a real SMTP server on
/// loopback (aiosmtpd, writing a maildir): one at each of the policy's days before expiry, none
/// before its time, none twice, and the expiry notice once after the end.
@Suite(.serialized) struct NotificationReminderTests {
    @Test func remindersFollowThePolicysDaysThenTheExpiryNotice() async throws {
        let inbox = try Mailbox()
        defer { inbox.stop() }
        let app = try await TestApp.make(environment: inbox.environment)
        try await app.run { client in
            let (policy, customer) = try await Self.policyAndCustomer(client, product: "CAD Pro", policy: ["name": "Annual", "durationDays": 40],
                customer: ["name": "Globex", "email": "it@globex.example"])
            let license = try await client.send(.post, "/v1/licenses", ["policyId": policy, "customerId": customer]).object
            let key = try #require(license["key"] as? String)
            try await Self.runJobs(app)
            #expect(try inbox.subjects() == ["Your CAD Pro license"])
            #expect(try inbox.bodies().first?.contains(key) == true)
            // 40 days left; the 30-day reminder comes once fewer than 30 are left, and only once.
            var expected = ["Your CAD Pro license"]
            for (advance, subject) in [
                // Days left after each step: 30.1, 29.9, 24.9, 7.1, 6.9, 1.4, 0.8, 0.3, -0.1, -3.1.
                (9.9, nil), (0.2, "Your CAD Pro license expires in 30 days"), (5, nil), (17.8, nil), (0.2, "Your CAD Pro license expires in 7 days"),
                (5.5, nil), (0.6, "Your CAD Pro license expires in 1 day"), (0.5, nil), (0.4, "Your CAD Pro license has expired"), (3, nil),
            ] as [(Double, String?)] {
                app.clock.advance(by: advance * 86_400)
                try await Self.runJobs(app)
                if let subject { expected.append(subject) }
                #expect(try inbox.subjects() == expected, "after \(advance) more days")
            }
            let log = try await client.send(.get, "/v1/notifications?customerId=\(customer)").list
            #expect(log.map { $0["kind"] as? String } == ["license_expired", "renewal_reminder", "renewal_reminder", "renewal_reminder", "license_issued"])
            #expect(log.allSatisfy { $0["state"] as? String == "sent" })
        }
    }

    @Test func aRenewalStartsTheRemindersAgainAndAPolicyChoosesItsDays() async throws {
        let inbox = try Mailbox()
        defer { inbox.stop() }
        let app = try await TestApp.make(environment: inbox.environment)
        try await app.run { client in
            let product = try #require(try await client.send(.post, "/v1/products", ["code": "cad", "name": "CAD"]).object["id"] as? String)
            #expect(try await client.send(.post, "/v1/policies", ["productId": product, "name": "x", "renewalReminderDays": [0]]).status == 422)
            #expect(try await client.send(.post, "/v1/policies", ["productId": product, "name": "x", "renewalReminderDays": [3, 3]]).status == 422)
            let policy = try #require(
                try await client.send(.post, "/v1/policies", ["productId": product, "name": "Monthly", "durationDays": 20, "renewalReminderDays": [3]])
                    .object["id"] as? String)
            let customer = try #require(try await client.send(.post, "/v1/customers", ["name": "Initech", "email": "it@initech.example"]).object["id"] as? String)
            let license = try #require(try await client.send(.post, "/v1/licenses", ["policyId": policy, "customerId": customer]).object["id"] as? String)
            app.clock.advance(by: 17.5 * 86_400)
            try await Self.runJobs(app)
            #expect(try inbox.subjects() == ["Your CAD license", "Your CAD license expires in 3 days"])
            #expect(try await client.send(.post, "/v1/licenses/\(license)/actions/renew").status == 200)
            app.clock.advance(by: 20 * 86_400)
            try await Self.runJobs(app)
            #expect(try inbox.subjects().filter { $0.hasSuffix("in 3 days") }.count == 2, "the new expiry's reminder")
        }
    }

    @Test func aCustomerWhoOptedOutGetsTheEssentialEmailsOnly() async throws {
        let inbox = try Mailbox()
        defer { inbox.stop() }
        let app = try await TestApp.make(environment: inbox.environment)
        try await app.run { client in
            let (policy, customer) = try await Self.policyAndCustomer(client, product: "CAD", policy: ["name": "Monthly", "durationDays": 20],
                customer: ["name": "Initech", "email": "it@initech.example", "emailOptOut": true])
            let license = try #require(try await client.send(.post, "/v1/licenses", ["policyId": policy, "customerId": customer]).object["id"] as? String)
            app.clock.advance(by: 19.5 * 86_400)
            try await Self.runJobs(app)
            #expect(try await client.send(.post, "/v1/licenses/\(license)/actions/suspend").status == 200)
            app.clock.advance(by: NotificationPlanner.interval)
            try await Self.runJobs(app)
            #expect(try inbox.subjects() == ["Your CAD license", "Your CAD license is suspended"], "no reminder")
            let reminders = try await client.send(.get, "/v1/notifications?kind=renewal_reminder").list
            #expect(reminders.map { $0["state"] as? String } == ["not_sent"])
            #expect(reminders.first?["error"] as? String == "not sent: the customer opted out of these emails")
            // Turned back on: the next occasion is sent.
            #expect(try await client.send(.patch, "/v1/customers/\(customer)", ["emailOptOut": false]).object["emailOptOut"] as? Bool == false)
            #expect(try await client.send(.post, "/v1/licenses/\(license)/actions/reinstate").status == 200)
            app.clock.advance(by: 2 * 86_400)
            try await Self.runJobs(app)
            #expect(try inbox.subjects().last == "Your CAD license has expired")
        }
    }

    @Test func theActivationThatTakesTheLastSeatIsAnnounced() async throws {
        let inbox = try Mailbox()
        defer { inbox.stop() }
        let app = try await TestApp.make(environment: inbox.environment)
        try await app.run { client in
            let (policy, customer) = try await Self.policyAndCustomer(client, product: "CAD", policy: ["name": "Team", "maxMachines": 2],
                customer: ["name": "Initech", "email": "it@initech.example"])
            let key = try #require(try await client.send(.post, "/v1/licenses", ["policyId": policy, "customerId": customer]).object["key"] as? String)
            #expect(try await client.activate(key, fingerprint: "one").status == 201)
            app.clock.advance(by: NotificationPlanner.interval)
            try await Self.runJobs(app)
            #expect(try inbox.subjects() == ["Your CAD license"])
            #expect(try await client.activate(key, fingerprint: "two").status == 201)
            #expect(try await client.activate(key, fingerprint: "three").status != 201)
            app.clock.advance(by: NotificationPlanner.interval)
            try await Self.runJobs(app)
            #expect(try inbox.subjects() == ["Your CAD license", "All 2 machines of your CAD license are in use"])
            // Both seats taken before the planner reads either event: announced once, not twice.
            let other = try #require(try await client.send(.post, "/v1/licenses", ["policyId": policy, "customerId": customer]).object["key"] as? String)
            #expect(try await client.activate(other, fingerprint: "one").status == 201)
            #expect(try await client.activate(other, fingerprint: "two").status == 201)
            app.clock.advance(by: NotificationPlanner.interval)
            try await Self.runJobs(app)
            #expect(try inbox.subjects().filter { $0.hasPrefix("All 2 machines") }.count == 2)
        }
    }

    /// A policy (`policy`'s fields) of product `product` (an id, or the name of a new product
    /// `cad`) and a customer (`customer`'s fields): their ids.
    static func policyAndCustomer(
        _ client: TestApp.Client, product: String, policy: [String: Any], customer: [String: Any]
    ) async throws -> (policy: String, customer: String) {
        var productId = product
        if !product.hasPrefix("prd_") {
            productId = try #require(try await client.send(.post, "/v1/products", ["code": "cad", "name": product]).object["id"] as? String)
        }
        let policyId = try #require(try await client.send(.post, "/v1/policies", policy.merging(["productId": productId]) { $1 }).object["id"] as? String)
        let customerId = try #require(try await client.send(.post, "/v1/customers", customer).object["id"] as? String)
        return (policyId, customerId)
    }

    /// Runs due jobs until none is left (the planner's emails are sent by jobs it makes).
    static func runJobs(_ app: TestApp) async throws {
        for _ in 0..<10 where try await app.built.runDueJobs() > 0 {}
    }
}

/// aiosmtpd on a free loopback port, keeping what it accepts in a maildir.
final class Mailbox: Sendable {
    let port: Int
    let directory: String
    let process: Process

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("tollgate-mail-\(UUID().uuidString)").path
        port = try Self.freePort()
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-m", "aiosmtpd", "-n", "-c", "aiosmtpd.handlers.Mailbox", "-l", "127.0.0.1:\(port)", directory]
        try process.run()
        for _ in 0..<100 {
            if Self.accepts(port) { return }
            Thread.sleep(forTimeInterval: 0.05)
        }
        throw TestFailure("aiosmtpd did not start (pip install aiosmtpd; scripts/test does)")
    }

    var environment: [String: String] {
        ["TOLLGATE_SMTP_HOST": "127.0.0.1", "TOLLGATE_SMTP_PORT": "\(port)", "TOLLGATE_SMTP_SECURITY": "none", "TOLLGATE_SMTP_FROM": "CAD Inc <licensing@cad.example>"]
    }

    /// The messages received, oldest first.
    func messages() throws -> [String] {
        let new = directory + "/new"
        let names = (try? FileManager.default.contentsOfDirectory(atPath: new)) ?? []
        let files = try names.map { name -> (Date, String) in
            let path = new + "/" + name
            let date = try FileManager.default.attributesOfItem(atPath: path)[.modificationDate] as? Date ?? .distantPast
            return (date, try String(contentsOfFile: path, encoding: .utf8))
        }
        return files.sorted { $0.0 < $1.0 }.map(\.1)
    }

    func subjects() throws -> [String] {
        try messages().map { message in
            message.components(separatedBy: "\n").first { $0.hasPrefix("Subject: ") }.map { String($0.dropFirst(9)).trimmingCharacters(in: .whitespacesAndNewlines) } ?? ""
        }
    }

    /// Each message's plain-text part, decoded.
    func bodies() throws -> [String] {
        try messages().map { message in
            let lines = message.components(separatedBy: "\n").map { $0.trimmingCharacters(in: .init(charactersIn: "\r")) }
            let part = lines.drop { $0 != "Content-Type: text/plain; charset=utf-8" }.dropFirst(3).prefix { !$0.hasPrefix("--") }
            return String(data: Data(base64Encoded: part.joined()) ?? Data(), encoding: .utf8) ?? ""
        }
    }

    func stop() {
        // aiosmtpd's command line does not stop on SIGTERM.
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        try? FileManager.default.removeItem(atPath: directory)
    }

    static func freePort() throws -> Int {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) } }
        guard bound == 0 else { throw TestFailure("no free port") }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) } }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    static func accepts(_ port: Int) -> Bool {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        } == 0
    }
}
