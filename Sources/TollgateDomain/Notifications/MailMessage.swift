import Foundation

/// One email as it goes over SMTP: an RFC 5322 message with a plain-text and an HTML part
/// (`multipart/alternative`), both UTF-8 in base64, a subject encoded per RFC 2047 when it is not
/// ASCII, and a `Message-ID` that stays the same if the message is sent again (a resend after a
/// crash in the middle of sending is then recognisable as the same message).
public struct MailMessage: Sendable, Equatable {
    public var from: MailAddress
    public var to: MailAddress
    public var subject: String
    public var text: String
    public var html: String
    /// Without the angle brackets: `<local>@<domain>`.
    public var messageId: String
    public var date: Date
    /// Extra headers, such as `List-Unsubscribe`.
    public var headers: [(name: String, value: String)]

    public init(
        from: MailAddress, to: MailAddress, subject: String, text: String, html: String, messageId: String, date: Date,
        headers: [(name: String, value: String)] = []
    ) {
        self.from = from
        self.to = to
        self.subject = subject
        self.text = text
        self.html = html
        self.messageId = messageId
        self.date = date
        self.headers = headers
    }

    public static func == (lhs: MailMessage, rhs: MailMessage) -> Bool {
        lhs.from == rhs.from && lhs.to == rhs.to && lhs.subject == rhs.subject && lhs.text == rhs.text && lhs.html == rhs.html
            && lhs.messageId == rhs.messageId && lhs.date == rhs.date && lhs.headers.map(\.name) == rhs.headers.map(\.name)
            && lhs.headers.map(\.value) == rhs.headers.map(\.value)
    }

    /// The message's bytes, CRLF line ends, every line under 998 octets; the boundary is derived
    /// from the Message-ID (it cannot occur in base64 parts).
    public func rendered() -> [UInt8] {
        let boundary = "=_tollgate_" + String(messageId.utf8.reduce(UInt64(14_695_981_039_346_656_037)) { ($0 ^ UInt64($1)) &* 1_099_511_628_211 }, radix: 36)
        var lines = [
            "From: \(from.header)", "To: \(to.header)", "Subject: \(Self.encodedWord(subject))", "Date: \(Self.rfc5322(date))",
            "Message-ID: <\(messageId)>", "MIME-Version: 1.0", "Auto-Submitted: auto-generated",
        ]
        lines += headers.map { "\($0.name): \(Self.headerSafe($0.value))" }
        lines += ["Content-Type: multipart/alternative; boundary=\"\(boundary)\"", ""]
        for (type, body) in [("text/plain", text), ("text/html", html)] {
            lines += ["--\(boundary)", "Content-Type: \(type); charset=utf-8", "Content-Transfer-Encoding: base64", ""]
            lines += Self.base64Lines(body)
        }
        lines += ["--\(boundary)--", ""]
        return Array(lines.joined(separator: "\r\n").utf8)
    }

    /// `text` in base64, 76 characters a line.
    static func base64Lines(_ text: String) -> [String] {
        let encoded = Array(Data(text.utf8).base64EncodedString().utf8)
        return stride(from: 0, to: encoded.count, by: 76).map { String(decoding: encoded[$0..<min($0 + 76, encoded.count)], as: UTF8.self) }
    }

    /// A header value as is when it is printable ASCII, else as RFC 2047 encoded words (base64,
    /// short enough to fold).
    static func encodedWord(_ value: String) -> String {
        let clean = headerSafe(value)
        guard !clean.unicodeScalars.allSatisfy({ $0.isASCII }) else { return clean }
        // At most 39 bytes of UTF-8 → 52 characters of base64 per word (lines under 78 with
        // "Subject: "), cut on character boundaries.
        var words: [String] = []
        var chunk = ""
        for character in clean {
            if chunk.utf8.count + String(character).utf8.count > 39 {
                words.append(chunk)
                chunk = ""
            }
            chunk.append(character)
        }
        if !chunk.isEmpty { words.append(chunk) }
        return words.map { "=?utf-8?B?\(Data($0.utf8).base64EncodedString())?=" }.joined(separator: "\r\n ")
    }

    /// A header value without line breaks (no header injection).
    static func headerSafe(_ value: String) -> String {
        String(value.map { $0.isNewline ? " " : $0 })
    }

    /// `date` as RFC 5322 writes it: `Tue, 01 Dec 2026 20:48:35 +0000`.
    static func rfc5322(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss '+0000'"
        return formatter.string(from: date)
    }
}

/// An email address and an optional display name.
public struct MailAddress: Sendable, Equatable, Codable {
    public var address: String
    public var name: String?

    public init(_ address: String, name: String? = nil) {
        self.address = address
        self.name = name
    }

    /// `"Name" <address>` (the name quoted, or encoded per RFC 2047 when not ASCII), or the address.
    public var header: String {
        guard let name, !name.isEmpty else { return "<\(address)>" }
        if name.unicodeScalars.allSatisfy({ $0.isASCII }) {
            let escaped = MailMessage.headerSafe(name).replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            return "\"\(escaped)\" <\(address)>"
        }
        return "\(MailMessage.encodedWord(name)) <\(address)>"
    }

    /// Whether `address` is one SMTP can carry: `local@domain`, printable ASCII, no spaces or
    /// angle brackets, at most 254 characters.
    public static func isValid(_ address: String) -> Bool {
        let parts = address.split(separator: "@", omittingEmptySubsequences: false)
        return address.utf8.count <= 254 && parts.count == 2 && !parts[0].isEmpty && parts[1].contains(".")
            && address.unicodeScalars.allSatisfy { $0.value > 0x20 && $0.value < 0x7F && !"<>()[],;:\\\"".unicodeScalars.contains($0) }
    }
}
