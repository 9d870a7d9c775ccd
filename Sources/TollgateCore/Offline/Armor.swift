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
    /// its body is not base64.
    public static func unwrap(_ text: String, label: String) -> Data? {
        let lines = text.split(whereSeparator: \.isNewline).map { line -> Substring in
            var line = line.drop { $0 == " " || $0 == "\t" || $0 == ">" }
            while let last = line.last, last == " " || last == "\t" || last == "\r" { line = line.dropLast() }
            return line
        }
        guard let begin = lines.firstIndex(of: "-----BEGIN \(label)-----"),
            let end = lines[begin...].firstIndex(of: "-----END \(label)-----")
        else { return nil }
        let body = lines[(begin + 1)..<end].joined()
        return Data(base64Encoded: body)
    }
}
