import Foundation
import TollgateDomain

/// A webhook endpoint as the API shows it: its document, and its signing secret only in the
/// answer that made the secret (creation, rotation).
struct WebhookEndpointView: Codable, Sendable {
    var id: String
    var url: String
    var eventTypes: [String]
    var description: String
    var status: WebhookEndpointStatus
    var disabledReason: String?
    var createdAt: Date
    var updatedAt: Date
    /// `whsec_…`, shown once.
    var secret: String?

    init(_ endpoint: WebhookEndpoint, secret: WebhookSecret? = nil) {
        id = endpoint.id
        url = endpoint.url
        eventTypes = endpoint.eventTypes
        description = endpoint.description
        status = endpoint.status
        disabledReason = endpoint.disabledReason
        createdAt = endpoint.createdAt
        updatedAt = endpoint.updatedAt
        self.secret = secret?.text
    }
}
