/// Event types as readers name them: an exact type (`license.suspended`), a prefix (`license.*`)
/// or every type (`*`). `GET /v1/events?type=` and webhook endpoints' `eventTypes` take them.
public struct EventTypeFilter: Sendable, Equatable, Hashable {
    /// The filter as written.
    public let text: String

    /// `nil` unless `text` is `*`, or lower-case words joined by dots or underscores, optionally
    /// ending in `.*`, at most 100 characters.
    public init?(_ text: String) {
        if text != "*" {
            let body = text.hasSuffix(".*") ? text.dropLast(2) : Substring(text)
            guard !body.isEmpty, body.count <= 100,
                body.utf8.allSatisfy({ ($0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "z")) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "_") })
            else { return nil }
        }
        self.text = text
    }

    /// Whether an event of `type` passes.
    public func matches(_ type: String) -> Bool {
        if text == "*" { return true }
        if text.hasSuffix(".*") { return type.hasPrefix(text.dropLast(1)) }
        return type == text
    }
}
