import Crypto
import Foundation

/// The headers that sign one delivery, per the Standard Webhooks specification: `webhook-id` (the
/// event's id, the same on every attempt, so a receiver can drop repeats), `webhook-timestamp`
/// (seconds since 1970 at this attempt, so a receiver can refuse stale or replayed ones) and
/// `webhook-signature`: `v1,<base64 HMAC-SHA256 of "id.timestamp.body">` for each secret in force,
/// separated by spaces (two while a rotated-out secret still signs).
public struct WebhookSignature: Sendable, Equatable {
    public var id: String
    public var timestamp: Int64
    public var signature: String

    /// Signs `body` (the exact bytes sent) as delivery `id` at `time` with each of `secrets`.
    public init(id: String, time: Date, body: [UInt8], secrets: [WebhookSecret]) {
        self.id = id
        timestamp = Int64(time.timeIntervalSince1970.rounded(.down))
        let signed = Array("\(id).\(timestamp).".utf8) + body
        signature = secrets.map { secret in
            let code = HMAC<SHA256>.authenticationCode(for: signed, using: SymmetricKey(data: secret.key))
            return "v1," + Data(code).base64EncodedString()
        }.joined(separator: " ")
    }

    /// The three headers, by name.
    public var headers: [(name: String, value: String)] {
        [("webhook-id", id), ("webhook-timestamp", String(timestamp)), ("webhook-signature", signature)]
    }
}
