#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An IP address range in CIDR form (`10.0.0.0/8`, `::1`, `192.0.2.7`): the trusted proxies of
/// `TOLLGATE_TRUSTED_PROXIES`.
public struct AddressRange: Sendable, Equatable {
    /// 4 bytes for IPv4, 16 for IPv6.
    public var network: [UInt8]
    public var prefixLength: Int

    /// Parses `address` or `address/prefix`; `nil` when it is neither.
    public init?(_ text: some StringProtocol) {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let bytes = ClientAddress.bytes(of: String(parts[0])) else { return nil }
        let bits = bytes.count * 8
        if parts.count == 2 {
            guard let prefix = Int(parts[1]), (0...bits).contains(prefix) else { return nil }
            prefixLength = prefix
        } else {
            prefixLength = bits
        }
        network = bytes
    }

    /// Whether `address` (bytes) lies in the range; IPv4 and IPv6 never match each other.
    public func contains(_ address: [UInt8]) -> Bool {
        guard address.count == network.count else { return false }
        var bits = prefixLength
        for (a, b) in zip(address, network) where bits > 0 {
            let mask: UInt8 = bits >= 8 ? 0xFF : ~(0xFF >> UInt8(bits))
            guard a & mask == b & mask else { return false }
            bits -= 8
        }
        return true
    }
}

/// The address a request comes from: the peer's, or, when the peer is a trusted proxy, the one
/// its `X-Forwarded-For` names. The list is read from the right, skipping trusted proxies, so
/// that a client cannot choose its address by sending its own `X-Forwarded-For`.
public enum ClientAddress {
    /// The client's address for a request from `peer` with the `X-Forwarded-For` value `forwarded`.
    public static func resolve(peer: String?, forwardedFor forwarded: String?, trusted: [AddressRange]) -> String? {
        guard let peer, let forwarded, !trusted.isEmpty, isTrusted(peer, trusted) else { return peer }
        var client = peer
        for hop in forwarded.split(separator: ",").reversed() {
            let address = hop.trimmedOfBlanks()
            guard bytes(of: address) != nil else { break }
            client = address
            if !isTrusted(address, trusted) { break }
        }
        return client
    }

    static func isTrusted(_ address: String, _ trusted: [AddressRange]) -> Bool {
        guard let bytes = bytes(of: address) else { return false }
        return trusted.contains { $0.contains(bytes) }
    }

    /// The key failures are counted under: the address itself for IPv4, its /64 for IPv6 (one
    /// host usually holds a whole /64, so counting single addresses would not slow it).
    public static func limitKey(_ address: String) -> String {
        guard address.utf8.contains(UInt8(ascii: ":")), let bytes = bytes(of: address), bytes.count == 16 else { return address }
        if bytes[0..<12] == [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF] { return bytes[12...].map(String.init).joined(separator: ".") }
        return bytes[0..<8].map { String($0, radix: 16) }.joined(separator: ":") + "::/64"
    }

    /// The bytes of an IPv4 or IPv6 address in text (`nil` for anything else).
    public static func bytes(of text: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 { return withUnsafeBytes(of: &v4) { Array($0) } }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 { return withUnsafeBytes(of: &v6) { Array($0) } }
        return nil
    }
}

extension StringProtocol {
    /// Without the spaces and tabs around it.
    fileprivate func trimmedOfBlanks() -> String {
        let view = unicodeScalars
        let blank: (Unicode.Scalar) -> Bool = { $0 == " " || $0 == "\t" }
        guard let first = view.firstIndex(where: { !blank($0) }), let last = view.lastIndex(where: { !blank($0) }) else { return "" }
        return String(String.UnicodeScalarView(view[first...last]))
    }
}
