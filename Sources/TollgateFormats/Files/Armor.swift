import Foundation

/// Text armor for binary blobs that must survive email and copy-paste: a `BEGIN`/`END` line
/// pair around base64 wrapped at 64 columns.
///
/// ```
/// -----BEGIN TOLLGATE LICENSE FILE-----
/// eyJhbGciOiJlZDI1NTE5Iiwia2lkIjoi…
/// -----END TOLLGATE LICENSE FILE-----
/// ```
/// Reading tolerates text around the block, CRLF line ends, indentation and the `> ` quoting
/// that mail clients add.
public enum Armor {
    /// Wraps `data` under `label`.
    public static func wrap(_ data: Data, label: String) -> String {
        let base64 = data.base64EncodedString()
        var lines = ["-----BEGIN \(label)-----"]
        var index = base64.startIndex
        while index < base64.endIndex {
            let end = base64.index(index, offsetBy: 64, limitedBy: base64.endIndex) ?? base64.endIndex
            lines.append(String(base64[index..<end]))
            index = end
        }
        lines.append("-----END \(label)-----")
        return lines.joined(separator: "\n") + "\n"
    }

    /// The data of the first block labelled `label` in `text`, or `nil` if there is none or
    /// its body is not canonical base64 (``CanonicalBase64``): what mail does to text (quoting,
    /// indentation, line ends, rewrapping) is tolerated, a changed character is not. Works on UTF-8 bytes (no grapheme breaking): lines end at LF or
    /// CR; leading spaces, tabs and `>` and trailing spaces and tabs are dropped.
    public static func unwrap(_ text: String, label: String) -> Data? {
        let begin = Array("-----BEGIN \(label)-----".utf8), end = Array("-----END \(label)-----".utf8)
        var text = text
        text.makeContiguousUTF8()
        return text.utf8.withContiguousStorageIfAvailable { unwrap($0, begin: begin, end: end) } ?? nil
    }

    private static func unwrap(_ bytes: UnsafeBufferPointer<UInt8>, begin: [UInt8], end: [UInt8]) -> Data? {
        var body: [UInt8] = []
        body.reserveCapacity(bytes.count)
        var inside = false
        var start = 0
        while start < bytes.count {
            var stop = start
            while stop < bytes.count, bytes[stop] != 0x0A, bytes[stop] != 0x0D { stop += 1 }
            var first = start, last = stop
            while first < last, bytes[first] == 0x20 || bytes[first] == 0x09 || bytes[first] == 0x3E { first += 1 }
            while last > first, bytes[last - 1] == 0x20 || bytes[last - 1] == 0x09 { last -= 1 }
            let line = UnsafeBufferPointer(rebasing: bytes[first..<last])
            if !inside {
                inside = line.elementsEqual(begin)
            } else if line.elementsEqual(end) {
                return CanonicalBase64.decode(bytes: body)
            } else {
                body.append(contentsOf: line)
            }
            start = stop + 1
        }
        return nil
    }
}
