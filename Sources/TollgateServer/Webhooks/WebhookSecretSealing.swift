import Crypto
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
        let box = try AES.GCM.seal(secret.key, using: key, authenticating: Self.authenticatedData(endpointId: endpointId, accountId: accountId))
        guard let combined = box.combined else { throw TollgateError.internal }
        return WebhookSecretTable.Row(endpointId: endpointId, accountId: accountId, createdAt: createdAt, expiresAt: nil, sealed: combined.base64EncodedString())
    }

    /// The secret in `row`; a ``ConfigurationError`` naming this key's setting when it was sealed
    /// under another key (or altered).
    func open(_ row: WebhookSecretTable.Row) throws -> WebhookSecret {
        do {
            guard let combined = Data(base64Encoded: row.sealed) else { throw CryptoKitError.incorrectParameterSize }
            let key = try AES.GCM.open(
                AES.GCM.SealedBox(combined: combined), using: key, authenticating: Self.authenticatedData(endpointId: row.endpointId, accountId: row.accountId))
            return WebhookSecret(key: Array(key))
        } catch {
            throw ConfigurationError(
                "The signing secret of webhook endpoint \(row.endpointId) cannot be opened with \(source): it was sealed under another "
                    + "key-encryption key. Give every replica the same TOLLGATE_KEY_ENCRYPTION_KEY (or --key-encryption-key-file).")
        }
    }
}
