import Crypto
import Foundation
import Testing
@testable import TollgateDomain
import TollgateFormats

@Suite struct KeyRingTests {
    let signer = SigningKey.generate(accountId: Fixtures.accountId, now: Fixtures.now)
    let claims = LicenseKey(
        keyId: "", licenseId: Identifier.make(.license), productId: Identifier.make(.product), expiresAt: Date(timeIntervalSince1970: 1_900_000_000))

    func issue() throws -> (LicenseKey, String) {
        let key = LicenseKey(keyId: signer.id, licenseId: claims.licenseId, productId: claims.productId, expiresAt: claims.expiresAt)
        return (key, try key.signed(with: signer))
    }

    @Test func rotationKeepsOldKeysVerifyingUntilRetired() throws {
        let (_, oldText) = try issue()
        var ring = KeyRing(keys: [signer])
        let newer = SigningKey(id: "ffffffff", accountId: Fixtures.accountId, privateKey: .init(), createdAt: Fixtures.now.addingTimeInterval(60))
        try ring.add(newer)
        #expect(ring.current(accountId: Fixtures.accountId)?.id == newer.id)
        let newText = try LicenseKey(keyId: newer.id, licenseId: claims.licenseId, productId: claims.productId, expiresAt: nil).signed(with: newer)
        #expect((try? LicenseKey.verify(oldText, keys: ring.verificationKey(id:)).get()) != nil)
        #expect((try? LicenseKey.verify(newText, keys: ring.verificationKey(id:)).get()) != nil)
        _ = try ring.retire(id: signer.id, accountId: Fixtures.accountId, at: Fixtures.now)
        guard case .failure(.badSignature) = LicenseKey.verify(oldText, keys: ring.verificationKey(id:)) else { Issue.record("retired key verified"); return }
        #expect(throws: TollgateError.self) { try ring.retire(id: newer.id, accountId: Fixtures.accountId, at: Fixtures.now) }
    }
}
