import Crypto
import Foundation
import Testing
import TollgateFormats

@Suite struct LicenseKeyTests {
    let signer = SigningKey.generate(accountId: Fixtures.accountId, now: Fixtures.now)
    let claims = LicenseKey(
        keyId: "", licenseId: Identifier.make(.license), productId: Identifier.make(.product), expiresAt: Date(timeIntervalSince1970: 1_900_000_000))

    func issue(expiresAt: Date? = Date(timeIntervalSince1970: 1_900_000_000)) throws -> (LicenseKey, String) {
        let key = LicenseKey(keyId: signer.id, licenseId: claims.licenseId, productId: claims.productId, expiresAt: expiresAt)
        return (key, try key.signed(with: signer))
    }

    func ring(_ keys: SigningKey...) -> @Sendable (String) -> VerificationKey? {
        let published = keys.map { VerificationKey(id: $0.id, accountId: $0.accountId, publicKey: $0.publicKey) }
        return { kid in published.first { $0.id == kid } }
    }

    @Test func keyIsShortEnoughToPasteAndRoundTrips() throws {
        let (key, text) = try issue()
        #expect(text.count < 200)
        #expect(text.hasPrefix("TG1-"))
        #expect(try LicenseKey.verify(text, keys: ring(signer)).get() == key)
    }

    @Test func perpetualKeyCarriesNoExpiry() throws {
        let (_, text) = try issue(expiresAt: nil)
        #expect(try LicenseKey.verify(text, keys: ring(signer)).get().expiresAt == nil)
    }

    @Test func lowerCaseHyphenatedAndSpacedKeysStillVerify() throws {
        let (key, text) = try issue()
        let body = text.dropFirst(4)
        var grouped = "tg1-"
        for (index, char) in body.lowercased().enumerated() {
            if index > 0 && index % 5 == 0 { grouped += "-" }
            grouped.append(char)
        }
        #expect(try LicenseKey.verify("  " + grouped + "\n", keys: ring(signer)).get() == key)
    }

    @Test func oneMistypedCharacterIsReportedAsMistyped() throws {
        let (_, text) = try issue()
        var chars = Array(text)
        for index in [10, 60, 120, text.count - 2] {
            var typo = chars
            typo[index] = typo[index] == "Z" ? "Y" : "Z"
            guard case .failure(.mistyped) = LicenseKey.verify(String(typo), keys: ring(signer)) else {
                Issue.record("typo at \(index) was not reported as mistyped")
                continue
            }
        }
        chars.removeLast()
        guard case .failure(.mistyped) = LicenseKey.verify(String(chars), keys: ring(signer)) else { Issue.record("truncated key"); return }
        guard case .failure(.mistyped) = LicenseKey.verify("hello", keys: ring(signer)) else { Issue.record("not a key"); return }
        guard case .failure(.mistyped) = LicenseKey.verify("TG1-U!!", keys: ring(signer)) else { Issue.record("bad alphabet"); return }
    }

    /// A forger who changes the payload and fixes the checksum still fails the signature.
    @Test func tamperedPayloadWithAFixedChecksumIsABadSignature() throws {
        let (_, text) = try issue()
        var bytes = CrockfordBase32.decode(text.dropFirst(4))!
        bytes[40] ^= 0x01  // the expiry's last byte: a later expiry
        let body = Array(bytes[0..<105])
        let crc = CRC32.checksum(body)
        let forged = "TG1-" + CrockfordBase32.encode(body + withUnsafeBytes(of: crc.bigEndian) { Array($0) })
        guard case .failure(.badSignature) = LicenseKey.verify(forged, keys: ring(signer)) else { Issue.record("forgery accepted"); return }
    }

    @Test func keySignedByAnotherVendorIsABadSignature() throws {
        let (_, text) = try issue()
        var impostor = SigningKey.generate(accountId: Fixtures.accountId, now: Fixtures.now)
        impostor = SigningKey(id: signer.id, accountId: impostor.accountId, privateKey: impostor.privateKey, createdAt: Fixtures.now)
        guard case .failure(.badSignature) = LicenseKey.verify(text, keys: ring(impostor)) else { Issue.record("wrong key accepted"); return }
        guard case .failure(.badSignature) = LicenseKey.verify(text, keys: { _ in nil }) else { Issue.record("unknown key accepted"); return }
    }

    @Test func signatureVerifiesWithThePublishedJWKSAndPEM() throws {
        let (_, text) = try issue()
        let jwks = JWKS(keys: [VerificationKey(id: signer.id, accountId: signer.accountId, publicKey: signer.publicKey)])
        let decoded = try JSONDecoder().decode(JWKS.self, from: JSONEncoder().encode(jwks))
        #expect(decoded.keys.first?.kty == "OKP" && decoded.keys.first?.crv == "Ed25519" && decoded.keys.first?.alg == "EdDSA")
        #expect((try? LicenseKey.verify(text, keys: { kid in decoded.verificationKeys.first { $0.id == kid } }).get()) != nil)
        let pem = VerificationKey(id: signer.id, accountId: nil, publicKey: signer.publicKey).pem
        let parsed = try #require(VerificationKey.parse(pemOrBase64: pem))
        #expect(parsed.publicKey.rawRepresentation == signer.publicKey.rawRepresentation)
    }

    @Test func responseSignatureCoversTheExactBody() throws {
        let body = Data(#"{"valid":true,"nonce":"abc"}"#.utf8)
        let header = try ResponseSignature.sign(body, with: signer)
        let keys = ring(signer)
        #expect(ResponseSignature.verify(body, header: header, keys: keys))
        #expect(!ResponseSignature.verify(Data(#"{"valid":true,"nonce":"abd"}"#.utf8), header: header, keys: keys))
    }
}
