import Crypto
import Foundation

// Helpers on Foundation and swift-crypto types for Tollgate's own targets. They are `package`,
// not `public`: a vendor's app that links the SDK sees no extensions of the types it shares.

extension Date {
    /// Milliseconds since 1970, the storage representation of time.
    package var epochMilliseconds: Int64 { Int64((timeIntervalSince1970 * 1000).rounded(.down)) }

    /// The instant `milliseconds` after 1970.
    package init(epochMilliseconds milliseconds: Int64) {
        self.init(timeIntervalSince1970: TimeInterval(milliseconds) / 1000)
    }

    /// This instant plus whole days.
    package func adding(days: Int) -> Date { addingTimeInterval(TimeInterval(days) * 86_400) }
}

private let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

extension Sequence<UInt8> {
    /// Lower-case hex.
    package var hexString: String {
        var output: [UInt8] = []
        output.reserveCapacity(underestimatedCount * 2)
        for byte in self {
            output.append(hexDigits[Int(byte >> 4)])
            output.append(hexDigits[Int(byte & 0xF)])
        }
        return String(decoding: output, as: UTF8.self)
    }
}

extension Digest {
    /// Lower-case hex of the digest.
    package var hexString: String { Array(self).hexString }
}
