import Crypto
import Foundation

/// An endpoint's signing secret in the Standard Webhooks form: `whsec_` and the key's bytes in
/// base64. Receivers paste it into any Standard Webhooks library (the tests use PyPI's
/// `standardwebhooks`), which signs with the decoded bytes.
public struct WebhookSecret: Sendable, Equatable {
    /// The HMAC key.
    public let key: [UInt8]

    /// The prefix every secret is written with.
    public static let prefix = "whsec_"

    /// A new secret of 32 random bytes (the specification asks for 24 to 64).
    public static func generate() -> WebhookSecret {
        var generator = SystemRandomNumberGenerator()
        return WebhookSecret(key: (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) })
    }

    public init(key: [UInt8]) {
        self.key = key
    }

    /// The secret written as `whsec_<base64>`; `nil` when `text` is not one, or its key is shorter
    /// than 24 bytes or longer than 64.
    public init?(_ text: String) {
        guard text.hasPrefix(Self.prefix), let data = Data(base64Encoded: String(text.dropFirst(Self.prefix.count))),
            (24...64).contains(data.count)
        else { return nil }
        key = Array(data)
    }

    /// `whsec_<base64>`, as shown to the endpoint's owner once.
    public var text: String { Self.prefix + Data(key).base64EncodedString() }
}
