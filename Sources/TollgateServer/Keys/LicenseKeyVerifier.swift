import Foundation
import Synchronization
import TollgateCore

/// Verifies license keys against the live signing keys and remembers the keys that verified,
/// so a hot path pays for one Ed25519 verification per key, not per request. A remembered key
/// still needs its signing key to be live, so retiring a key takes effect at once.
final class LicenseKeyVerifier: Sendable {
    let keys: KeyService
    private let verified = Mutex<[String: LicenseKey]>([:])
    private let capacity: Int

    init(keys: KeyService, capacity: Int = 100_000) {
        self.keys = keys
        self.capacity = capacity
    }

    /// ``LicenseKey/verify(_:keys:)`` and the account of the signing key.
    func verify(_ text: String) -> Result<(key: LicenseKey, accountId: String?), LicenseKeyError> {
        if let known = verified.withLock({ $0[text] }), let signer = keys.verificationKey(id: known.keyId) {
            return .success((known, signer.accountId))
        }
        var signer: VerificationKey?
        let result = LicenseKey.verify(text) { kid in
            signer = keys.verificationKey(id: kid)
            return signer
        }
        return result.map { key in
            verified.withLock { entries in
                if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
                entries[text] = key
            }
            return (key, signer?.accountId)
        }
    }
}
