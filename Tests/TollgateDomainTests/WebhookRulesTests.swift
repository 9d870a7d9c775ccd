import Foundation
import Testing
import TollgateDomain

@Suite struct WebhookRulesTests {
    /// The expected values were computed by PyPI's `standardwebhooks` (`Webhook(secret).sign(id,
    /// timestamp, body)`); the first is also the specification's own example.
    @Test func signaturesAreTheStandardWebhooksOnes() throws {
        let time = Date(timeIntervalSince1970: 1_614_265_330)
        let spec = try #require(WebhookSecret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"))
        let signed = WebhookSignature(id: "msg_p5jXN8AQM9LWM0D4loKWxJek", time: time, body: Array(#"{"test": 2432232314}"#.utf8), secrets: [spec])
        #expect(signed.signature == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
        #expect(signed.headers.map(\.name) == ["webhook-id", "webhook-timestamp", "webhook-signature"])
        #expect(signed.headers[1].value == "1614265330")

        let other = try #require(WebhookSecret("whsec_dGhlIG90aGVyIHNlY3JldCBrZXkgb2YgMzIgYnl0ZXM="))
        let body = Array(#"{"type":"license.created","data":{"id":"lic_1","note":"café ✓"}}"#.utf8)
        let both = WebhookSignature(id: "evt_01ABC", time: time.addingTimeInterval(0.9), body: body, secrets: [other, spec])
        #expect(both.timestamp == 1_614_265_330, "whole seconds, rounded down")
        let parts = both.signature.split(separator: " ")
        #expect(parts.count == 2, "one signature per secret in force while a rotated-out secret still signs")
        #expect(parts[0] == "v1,XQpGJNVsiNwicfENdi/MmixKcrkpEmuM/DsKzUdmXi0=")
    }

    @Test func secretsAreWhsecBase64OfEnoughBytes() throws {
        let secret = WebhookSecret.generate()
        #expect(secret.key.count == 32)
        #expect(secret.text.hasPrefix("whsec_"))
        #expect(WebhookSecret(secret.text) == secret)
        #expect(WebhookSecret.generate() != secret)
        #expect(WebhookSecret("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw") == nil, "no prefix")
        #expect(WebhookSecret("whsec_not base64!") == nil)
        #expect(WebhookSecret("whsec_" + Data(count: 16).base64EncodedString()) == nil, "shorter than 24 bytes")
        #expect(WebhookSecret("whsec_" + Data(count: 65).base64EncodedString()) == nil, "longer than 64 bytes")
    }

    @Test func egressRefusesInternalAddressesUnlessAllowed() throws {
        func v6(_ text: String) -> [UInt8] {
            var address = in6_addr()
            precondition(inet_pton(AF_INET6, text, &address) == 1)
            return withUnsafeBytes(of: &address) { Array($0) }
        }
        let kinds: [([UInt8], EgressPolicy.Kind)] = [
            ([93, 184, 216, 34], .public), ([8, 8, 8, 8], .public), ([172, 32, 0, 1], .public), ([100, 128, 0, 1], .public),
            ([127, 0, 0, 1], .loopback), ([127, 255, 1, 2], .loopback),
            ([10, 1, 2, 3], .private), ([172, 16, 0, 1], .private), ([172, 31, 255, 255], .private), ([192, 168, 1, 1], .private),
            ([100, 64, 0, 1], .private),
            ([169, 254, 169, 254], .linkLocal),
            ([0, 0, 0, 0], .reserved), ([224, 0, 0, 1], .reserved), ([255, 255, 255, 255], .reserved), ([192, 0, 2, 1], .reserved),
            (v6("2606:4700::1111"), .public), (v6("::1"), .loopback), (v6("::"), .reserved), (v6("fd12:3456::1"), .private),
            (v6("fe80::1"), .linkLocal), (v6("ff02::1"), .reserved), (v6("2001:db8::1"), .reserved),
            (v6("::ffff:127.0.0.1"), .loopback), (v6("::ffff:10.0.0.1"), .private), (v6("::ffff:93.184.216.34"), .public),
            (v6("64:ff9b::169.254.169.254"), .linkLocal),
            ([1, 2, 3], .reserved),
        ]
        for (address, kind) in kinds {
            #expect(EgressPolicy.kind(of: address) == kind, "\(address)")
        }
        let strict = EgressPolicy()
        #expect(strict.permits([93, 184, 216, 34]) && !strict.permits([127, 0, 0, 1]) && !strict.permits([169, 254, 169, 254]))
        let loopback = try #require(EgressPolicy(setting: "loopback"))
        #expect(loopback.permits([127, 0, 0, 1]) && loopback.permits(v6("::1")) && !loopback.permits([10, 0, 0, 1]))
        let all = try #require(EgressPolicy(setting: " loopback, private ,link-local"))
        #expect(all.permits([10, 0, 0, 1]) && all.permits([169, 254, 0, 1]) && !all.permits([0, 0, 0, 0]), "reserved never")
        #expect(EgressPolicy(setting: "") == strict)
        #expect(EgressPolicy(setting: "loopback,everything") == nil)
        #expect(EgressPolicy(setting: "reserved") == nil && EgressPolicy(setting: "public") == nil)
    }

    @Test func retriesSpanMoreThanThreeDays() {
        let schedule = WebhookRetrySchedule.standard
        #expect(schedule.attempts == 10)
        #expect(schedule.delay(afterAttempt: 1) == 5)
        #expect(schedule.delay(afterAttempt: 2) == 300)
        #expect(schedule.delay(afterAttempt: 9) == 86_400)
        #expect(schedule.delay(afterAttempt: 10) == nil && schedule.delay(afterAttempt: 0) == nil)
        #expect(schedule.window >= 3 * 86_400)
        #expect(schedule.delays == schedule.delays.sorted(), "never sooner than the wait before")
    }

    @Test func eventTypeFiltersNameATypeAPrefixOrAll() throws {
        let exact = try #require(EventTypeFilter("license.suspended"))
        #expect(exact.matches("license.suspended") && !exact.matches("license.suspended_later") && !exact.matches("license.created"))
        let prefix = try #require(EventTypeFilter("license.*"))
        #expect(prefix.matches("license.created") && !prefix.matches("licenses.created") && !prefix.matches("machine.activated"))
        #expect(try #require(EventTypeFilter("*")).matches("webhook_endpoint.disabled"))
        for bad in ["", ".*", "License.created", "license created", "license.*.x*", String(repeating: "a", count: 101)] {
            #expect(EventTypeFilter(bad) == nil, "\(bad)")
        }
    }
}
