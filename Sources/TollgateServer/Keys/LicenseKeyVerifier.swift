import Foundation
import Synchronization
import TollgateDomain
import TollgateFormats

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

    /// ``LicenseKey/verify(_:keys:)`` and the account of the signing key. A key signed by a key
    /// id this replica does not know makes it reread the key table once, in a read that begins
    /// after the request arrived (another replica may have just rotated), before the answer is
    /// final; such rereads are at least ``KeyService/minimumReloadGap`` apart, so a flood of
    /// made-up key ids waits rather than loads the database.
    func verify(_ text: String) async -> Result<(key: LicenseKey, accountId: String?), LicenseKeyError> {
        let (result, unknownKey) = verifyLoaded(text)
        guard case .failure = result, unknownKey else { return result }
        await keys.reload(spacedBy: KeyService.minimumReloadGap)
        return verifyLoaded(text).result
    }

    private func verifyLoaded(_ text: String) -> (result: Result<(key: LicenseKey, accountId: String?), LicenseKeyError>, unknownKey: Bool) {
        if let known = verified.withLock({ $0[text] }), let signer = keys.verificationKey(id: known.keyId) {
            return (.success((known, signer.accountId)), false)
        }
        var signer: VerificationKey?
        var unknown = false
        let result = LicenseKey.verify(text) { kid in
            signer = keys.verificationKey(id: kid)
            unknown = signer == nil && !keys.knows(id: kid)
            return signer
        }
        return (result.map { key in
            verified.withLock { entries in
                if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
                entries[text] = key
            }
            return (key, signer?.accountId)
        }, unknown)
    }
}
