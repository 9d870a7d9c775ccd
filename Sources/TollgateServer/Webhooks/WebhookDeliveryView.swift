import Foundation
import TollgateStore

/// A webhook delivery as the API shows it: which event went (or goes) to which endpoint, where
/// it stands, and every attempt made (status, duration, the start of the answer, the error).
struct WebhookDeliveryView: Codable, Sendable {
    struct AttemptView: Codable, Sendable {
        var number: Int
        var at: Date
        /// The HTTP status of the answer; absent when none came (refused, timed out, not allowed).
        var status: Int?
        var durationMs: Int
        /// The first KiB of the answer's body.
        var response: String?
        var error: String?
    }

    var id: String
    var endpointId: String
    var eventId: String
    var eventType: String
    var eventSequence: Int64
    var state: WebhookDeliveryTable.Delivery.State
    /// Attempts made (counting one under way).
    var attemptCount: Int
    /// When the next attempt is due, while the delivery is pending.
    var nextAttemptAt: Date?
    var lastStatus: Int?
    var lastError: String?
    /// Sent again by hand after it had ended.
    var manual: Bool
    var createdAt: Date
    var updatedAt: Date
    var attempts: [AttemptView]

    init(_ delivery: WebhookDeliveryTable.Delivery, attempts: [WebhookDeliveryTable.RecordedAttempt]) {
        id = delivery.id
        endpointId = delivery.endpointId
        eventId = delivery.eventId
        eventType = delivery.eventType
        eventSequence = delivery.eventSequence
        state = delivery.state
        attemptCount = delivery.attempts
        nextAttemptAt = delivery.state == .pending ? delivery.nextAttemptAt : nil
        lastStatus = delivery.lastStatus
        lastError = delivery.lastError
        manual = delivery.manual
        createdAt = delivery.createdAt
        updatedAt = delivery.updatedAt
        self.attempts = attempts.map {
            AttemptView(
                number: $0.number, at: $0.outcome.at, status: $0.outcome.status, durationMs: $0.outcome.durationMilliseconds,
                response: $0.outcome.response, error: $0.outcome.error)
        }
    }
}

/// The answer to `POST /v1/webhook-endpoints/{id}/actions/ping`: the event written, delivered to
/// the endpoint alone within moments (its delivery then shows in the endpoint's log).
struct WebhookPingView: Codable, Sendable {
    var endpointId: String
    var eventType: String
}
