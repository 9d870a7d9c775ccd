import Foundation
import TollgateDomain
import TollgateStore

extension KeyEncryptionKey {
    /// The data a webhook secret's seal authenticates: its endpoint and account, so a sealed secret
    /// cannot be moved to another endpoint's row.
    static func authenticatedData(endpointId: String, accountId: String) -> Data {
        Data("tollgate-webhook-secret:\(endpointId):\(accountId)".utf8)
    }

    /// `secret` of `endpointId` as a row, sealed.
    func seal(_ secret: WebhookSecret, endpointId: String, accountId: String, createdAt: Date) throws -> WebhookSecretTable.Row {
        WebhookSecretTable.Row(
            endpointId: endpointId, accountId: accountId, createdAt: createdAt, expiresAt: nil,
            sealed: try seal(secret.key, context: Self.authenticatedData(endpointId: endpointId, accountId: accountId)))
    }

    /// The secret in `row` (a ``ConfigurationError`` when it cannot be opened).
    func open(_ row: WebhookSecretTable.Row) throws -> WebhookSecret {
        let key = try open(
            row.sealed, context: Self.authenticatedData(endpointId: row.endpointId, accountId: row.accountId),
            what: "The signing secret of webhook endpoint \(row.endpointId)")
        return WebhookSecret(key: Array(key))
    }
}
