import Foundation
import TollgateDomain
import TollgateFormats
import TollgateStore

/// Creates, changes, deletes webhook endpoints and rotates their secrets, each in the caller's
/// transaction with its audit entry and event (`webhook_endpoint.created`, `.updated`,
/// `.deleted`, `.secret_rotated`; never the secret itself).
struct WebhookEndpointEditor: Sendable {
    let sealer: KeyEncryptionKey

    /// How long a rotated-out secret keeps signing beside the new one.
    static let rotationOverlap: TimeInterval = 24 * 3_600

    func create(_ draft: WebhookEndpointDraft, accountId: String, actor: String, session: StoreSession, now: Date) async throws -> WebhookEndpointView {
        let start = try await session.webhookDeliveries.currentSequence(accountId: accountId)
        let endpoint = try draft.validated(id: Identifier.make(.webhookEndpoint, at: now), accountId: accountId, startSequence: start, now: now)
        let secret = WebhookSecret.generate()
        try await session.webhookDeliveries.startCursor(accountId: accountId)
        try await session.webhookEndpoints.insert(endpoint)
        try await session.webhookSecrets.insert(try sealer.seal(secret, endpointId: endpoint.id, accountId: accountId, createdAt: now))
        try await record(session, endpoint, actor: actor, type: "webhook_endpoint.created", before: nil, after: endpoint, now: now)
        return WebhookEndpointView(endpoint, secret: secret)
    }

    func update(id: String, _ patch: WebhookEndpointPatch, accountId: String, actor: String, session: StoreSession, now: Date) async throws -> WebhookEndpointView {
        let endpoint = try await Self.find(id: id, accountId: accountId, session: session)
        guard let changed = try patch.applied(to: endpoint, now: now) else { return WebhookEndpointView(endpoint) }
        try await session.webhookEndpoints.update(changed)
        try await record(session, changed, actor: actor, type: "webhook_endpoint.updated", before: endpoint, after: changed, now: now)
        return WebhookEndpointView(changed)
    }

    func delete(id: String, accountId: String, actor: String, session: StoreSession, now: Date) async throws -> WebhookEndpointView {
        let endpoint = try await Self.find(id: id, accountId: accountId, session: session)
        try await session.webhookDeliveries.deleteEndpoint(id, accountId: accountId)
        try await session.webhookSecrets.deleteEndpoint(id, accountId: accountId)
        try await record(session, endpoint, actor: actor, type: "webhook_endpoint.deleted", before: endpoint, after: nil, now: now)
        return WebhookEndpointView(endpoint)
    }

    /// A new secret; the current one keeps signing for ``rotationOverlap`` (one rotated out before
    /// stops at once).
    func rotateSecret(id: String, accountId: String, actor: String, session: StoreSession, now: Date) async throws -> WebhookEndpointView {
        var endpoint = try await Self.find(id: id, accountId: accountId, session: session)
        let secret = WebhookSecret.generate()
        try await session.webhookSecrets.retireCurrent(endpointId: id, accountId: accountId, expiresAt: now.addingTimeInterval(Self.rotationOverlap))
        try await session.webhookSecrets.insert(try sealer.seal(secret, endpointId: id, accountId: accountId, createdAt: now))
        let before = endpoint
        endpoint.updatedAt = now
        try await session.webhookEndpoints.update(endpoint)
        try await record(session, endpoint, actor: actor, type: "webhook_endpoint.secret_rotated", before: before, after: endpoint, now: now)
        return WebhookEndpointView(endpoint, secret: secret)
    }

    /// Writes the event `webhook_endpoint.pinged` of an enabled endpoint; the fan-out delivers it
    /// to that endpoint alone, whatever event types it wants.
    func ping(id: String, accountId: String, actor: String, session: StoreSession, now: Date) async throws -> WebhookPingView {
        let endpoint = try await Self.find(id: id, accountId: accountId, session: session)
        guard endpoint.status == .enabled else {
            throw TollgateError.conflict(code: WebhookCode.endpointDisabled, message: "The endpoint is disabled; enable it before pinging it.")
        }
        try await record(session, endpoint, actor: actor, type: WebhookDeliveryTable.pingType, before: endpoint, after: endpoint, now: now)
        return WebhookPingView(endpointId: id, eventType: WebhookDeliveryTable.pingType)
    }

    static func find(id: String, accountId: String, session: StoreSession) async throws -> WebhookEndpoint {
        guard let endpoint = try await session.webhookEndpoints.find(id: id, accountId: accountId) else {
            throw TollgateError.notFound(resource: "webhook endpoint", id: id)
        }
        return endpoint
    }

    /// Records the change of `endpoint` (its state as the API shows it, without a secret).
    private func record(
        _ session: StoreSession, _ endpoint: WebhookEndpoint, actor: String, type: String, before: WebhookEndpoint?, after: WebhookEndpoint?, now: Date
    ) async throws {
        try await ChangeLog.record(
            session, accountId: endpoint.accountId, actor: actor, type: type, objectType: "webhook_endpoint", objectId: endpoint.id,
            before: before, after: after, state: WebhookEndpointView(endpoint), at: now)
    }
}
