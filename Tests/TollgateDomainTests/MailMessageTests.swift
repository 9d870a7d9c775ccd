import Foundation
import Testing
@testable import TollgateDomain

/// The emails' wire form: headers, a subject that is not ASCII, both parts in base64 lines of at
/// most 76 characters, a stable boundary, no header injection.
@Suite struct MailMessageTests {
    let message = MailMessage(
        from: MailAddress("licensing@acme.example", name: "Acme \"Licensing\""), to: MailAddress("it@globex.example"),
        subject: "Ihre Lizenz für Zeichnen — bitte aufbewahren, sie läuft bis Ende des Jahres", text: String(repeating: "Zeile ä\n", count: 40),
        html: "<p>Hallo</p>", messageId: "ntf_01ABC@licensing.acme.example", date: Date(timeIntervalSince1970: 1_800_000_000),
        headers: [("List-Unsubscribe", "<https://x.example/u>\r\nBcc: evil@example.com")])

    @Test func headersAndPartsAreWhatMailReadersExpect() throws {
        let text = String(decoding: message.rendered(), as: UTF8.self)
        let lines = text.components(separatedBy: "\r\n")
        #expect(lines.contains("From: \"Acme \\\"Licensing\\\"\" <licensing@acme.example>"))
        #expect(lines.contains("To: <it@globex.example>"))
        #expect(lines.contains("Date: Fri, 15 Jan 2027 08:00:00 +0000"))
        #expect(lines.contains("Message-ID: <ntf_01ABC@licensing.acme.example>"))
        #expect(lines.contains("List-Unsubscribe: <https://x.example/u> Bcc: evil@example.com"), "a line break in a value cannot start a header")
        #expect(!lines.contains { $0.hasPrefix("Bcc:") })
        let subject = lines.drop { !$0.hasPrefix("Subject:") }.prefix { $0.hasPrefix("Subject:") || $0.hasPrefix(" ") }
        #expect(subject.count > 1 && subject.allSatisfy { $0.count < 78 && $0.contains("=?utf-8?B?") })
        let decoded = subject.map { line in
            line.components(separatedBy: "=?utf-8?B?").dropFirst().map { String(data: Data(base64Encoded: String($0.prefix { $0 != "?" }))!, encoding: .utf8)! }.joined()
        }.joined()
        #expect(decoded == message.subject)
        #expect(lines.allSatisfy { $0.utf8.count <= 78 })
        let textPart = lines.drop { $0 != "Content-Type: text/plain; charset=utf-8" }.dropFirst(3).prefix { !$0.hasPrefix("--") }
        #expect(String(data: Data(base64Encoded: textPart.joined())!, encoding: .utf8) == message.text)
        #expect(message.rendered() == message.rendered(), "the same bytes each time (the boundary comes from the Message-ID)")
    }

    @Test func addressesAreCheckedForWhatSMTPCarries() {
        #expect(MailAddress.isValid("it@globex.example"))
        for bad in ["", "it", "@globex.example", "it@globex", "it globex@x.example", "it@x.example>", "a@b@c.example"] {
            #expect(!MailAddress.isValid(bad), "\(bad)")
        }
    }
}
