import Foundation

/// Which network addresses outbound requests (webhook deliveries) may reach. Public addresses
/// always; loopback, private and link-local ones only when the operator allows them
/// (`TOLLGATE_WEBHOOK_ALLOW`), since a vendor's staff could otherwise point an endpoint at the
/// server's own admin port, a database or a cloud's metadata service (169.254.169.254); reserved
/// ones (unspecified, multicast, documentation, the old class E) never. The server checks every
/// address a host name resolves to, and connects only to an address it checked, so a name that
/// resolves to a private address is refused like the address itself.
public struct EgressPolicy: Sendable, Equatable {
    /// What kind of network an address belongs to.
    public enum Kind: String, Sendable, CaseIterable {
        case `public`
        case loopback
        /// RFC 1918, shared address space (100.64/10) and unique local IPv6 (fc00::/7).
        case `private`
        /// 169.254/16 and fe80::/10.
        case linkLocal = "link-local"
        case reserved
    }

    /// The kinds allowed besides public addresses.
    public let allowed: Set<Kind>

    /// Public addresses only, plus `allowed` (``Kind/reserved`` is never allowed).
    public init(allowing allowed: Set<Kind> = []) {
        self.allowed = allowed.subtracting([.reserved])
    }

    /// The setting's words, comma-separated: `loopback`, `private`, `link-local`; empty for none.
    /// `nil` when a word is not one of them.
    public init?(setting: String) {
        var kinds: Set<Kind> = []
        for word in setting.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !word.isEmpty {
            guard let kind = Kind(rawValue: word), kind != .public, kind != .reserved else { return nil }
            kinds.insert(kind)
        }
        self.init(allowing: kinds)
    }

    /// Whether a request may go to `address` (4 bytes for IPv4, 16 for IPv6).
    public func permits(_ address: [UInt8]) -> Bool {
        let kind = Self.kind(of: address)
        return kind == .public || allowed.contains(kind)
    }

    /// The kind of `address` (4 bytes for IPv4, 16 for IPv6; any other length is reserved).
    /// IPv4-mapped and NAT64 IPv6 addresses are the kind of the IPv4 address they carry.
    public static func kind(of address: [UInt8]) -> Kind {
        switch address.count {
        case 4: return kind(ipv4: address)
        case 16:
            if address[0..<10].allSatisfy({ $0 == 0 }) && address[10] == 0xff && address[11] == 0xff {
                return kind(ipv4: Array(address[12...]))  // ::ffff:a.b.c.d
            }
            if address[0..<12] == [0x00, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0] {
                return kind(ipv4: Array(address[12...]))  // 64:ff9b::a.b.c.d
            }
            if address[0..<15].allSatisfy({ $0 == 0 }) {
                return address[15] == 1 ? .loopback : .reserved  // ::1, ::
            }
            if address[0] & 0xfe == 0xfc { return .private }
            if address[0] == 0xfe && address[1] & 0xc0 == 0x80 { return .linkLocal }
            if address[0] == 0xff { return .reserved }  // multicast
            if address[0..<4] == [0x20, 0x01, 0x0d, 0xb8] { return .reserved }  // documentation
            return .public
        default:
            return .reserved
        }
    }

    private static func kind(ipv4 a: [UInt8]) -> Kind {
        switch (a[0], a[1]) {
        case (127, _): .loopback
        case (10, _), (172, 16...31), (192, 168), (100, 64...127): .private
        case (169, 254): .linkLocal
        case (0, _), (224...255, _): .reserved
        case (192, 0) where a[2] == 2, (198, 51) where a[2] == 100, (203, 0) where a[2] == 113: .reserved  // documentation
        default: .public
        }
    }
}
