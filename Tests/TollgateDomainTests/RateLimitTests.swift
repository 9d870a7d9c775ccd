import Testing
import TollgateDomain

@Suite struct RateLimitTests {
    @Test func aBurstOfTheLimitPassesThenOneRequestPerInterval() {
        let limit = RateLimit(limit: 5, window: 60)
        var tat: Double?
        let burst = (0..<5).map { _ in limit.take(&tat, now: 100) }
        #expect(burst.allSatisfy { $0.allowed })
        #expect(burst.map(\.remaining) == [4, 3, 2, 1, 0])
        #expect(burst.map(\.reset) == [12, 24, 36, 48, 60])
        let refused = limit.take(&tat, now: 100)
        #expect(!refused.allowed && refused.remaining == 0 && refused.retryAfter == 12 && refused.reset == 60)
        #expect(limit.wait(tat, now: 100) == 12)
        // The state does not move on a refusal; one interval later one request passes.
        #expect(!limit.take(&tat, now: 111.5).allowed)
        let next = limit.take(&tat, now: 112)
        #expect(next.allowed && next.remaining == 0)
        // A minute of quiet fills the bucket again.
        #expect(limit.wait(tat, now: 172) == nil)
        #expect(limit.take(&tat, now: 172).remaining == 4)
    }

    @Test func aSteadyRateAtTheLimitIsNeverRefused() {
        let limit = RateLimit(limit: 600, window: 60)
        var tat: Double?
        var refused = 0
        for step in 0..<6_000 where !limit.take(&tat, now: Double(step) * 0.1).allowed { refused += 1 }
        #expect(refused == 0)
        // Twice the rate: after the burst of 600, every other request is refused.
        var fast: Double?
        var allowed = 0
        for step in 0..<2_400 where limit.take(&fast, now: Double(step) * 0.05).allowed { allowed += 1 }
        #expect(allowed == 600 + 1_200 - 1 || allowed == 600 + 1_200)
    }

    @Test func addressRangesMatchByPrefix() throws {
        let private10 = try #require(AddressRange("10.0.0.0/8"))
        #expect(private10.contains(try #require(ClientAddress.bytes(of: "10.200.3.4"))))
        #expect(!private10.contains(try #require(ClientAddress.bytes(of: "11.0.0.1"))))
        #expect(!private10.contains(try #require(ClientAddress.bytes(of: "::ffff:10.0.0.1"))))
        let single = try #require(AddressRange("::1"))
        let loopback = try #require(ClientAddress.bytes(of: "::1"))
        #expect(single.prefixLength == 128 && single.contains(loopback))
        let odd = try #require(AddressRange("192.168.0.0/20"))
        #expect(odd.contains(try #require(ClientAddress.bytes(of: "192.168.15.255"))))
        #expect(!odd.contains(try #require(ClientAddress.bytes(of: "192.168.16.0"))))
        for bad in ["10.0.0.0/33", "host.example", "10.0.0/8", "", "::1/129"] { #expect(AddressRange(bad) == nil, "\(bad)") }
    }

    @Test func theClientIsTheFirstUntrustedHopFromTheRight() throws {
        let trusted = [try #require(AddressRange("10.0.0.0/8"))]
        // No trusted peer: the header is the client's to write and is ignored.
        #expect(ClientAddress.resolve(peer: "203.0.113.9", forwardedFor: "198.51.100.1", trusted: trusted) == "203.0.113.9")
        // A trusted proxy: the address it appended.
        #expect(ClientAddress.resolve(peer: "10.0.0.2", forwardedFor: "198.51.100.1", trusted: trusted) == "198.51.100.1")
        // A client's own forged entry on the left is skipped; so are further trusted proxies.
        #expect(ClientAddress.resolve(peer: "10.0.0.2", forwardedFor: "1.2.3.4, 198.51.100.1, 10.0.0.7", trusted: trusted) == "198.51.100.1")
        // Garbage stops the walk at the last address that made sense.
        #expect(ClientAddress.resolve(peer: "10.0.0.2", forwardedFor: "nonsense, 10.0.0.9", trusted: trusted) == "10.0.0.9")
        #expect(ClientAddress.resolve(peer: "10.0.0.2", forwardedFor: nil, trusted: trusted) == "10.0.0.2")
    }

    @Test func ipv6FailuresCountPerSlash64() {
        #expect(ClientAddress.limitKey("2001:db8:1:2:aaaa::1") == ClientAddress.limitKey("2001:db8:1:2:bbbb::9"))
        #expect(ClientAddress.limitKey("2001:db8:1:2::1") != ClientAddress.limitKey("2001:db8:1:3::1"))
        #expect(ClientAddress.limitKey("::ffff:192.0.2.1") == "192.0.2.1")
        #expect(ClientAddress.limitKey("192.0.2.1") == "192.0.2.1")
    }
}
