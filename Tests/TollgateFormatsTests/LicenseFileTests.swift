import Crypto
import Foundation
import Testing
@testable import TollgateFormats

@Suite struct LicenseFileTests {
    let key = SigningKey.generate(accountId: Fixtures.accountId, now: Fixtures.now)
    let now = Fixtures.now
    let licenseKey = "TG1-EXAMPLE-LICENSE-KEY"

    var keys: (String) -> VerificationKey? {
        let key = self.key
        return { $0 == key.id ? VerificationKey(id: key.id, accountId: nil, publicKey: key.publicKey) : nil }
    }

    func content(machine fingerprint: String? = "fp-1", ttl: Int = 86_400) -> LicenseFileContent {
        let info = LicenseFileContent.LicenseInfo(
            id: "lic_1", accountId: Fixtures.accountId, productId: "prd_1", policyId: "pol_1", customerId: "cus_1", status: "active",
            tier: "Pro", entitlements: ["sso"], limits: EffectiveLimits(values: ["maxMachines": .limited(3), "gpu-hours": .limited(10)], periods: ["gpu-hours": .month]), expiresAt: nil, offlineGraceDays: 30)
        return LicenseFileContent(
            license: info, machine: fingerprint.map { .init(id: "mch_1", fingerprint: $0, name: nil, cluster: nil) }, issuedAt: now, ttlSeconds: ttl)
    }

    @Test func aFileVerifiesAndReadsBack() throws {
        let file = try LicenseFile.issue(content(), signedWith: key)
        #expect(try LicenseFile.verify(file, now: now, fingerprint: "fp-1", keys: keys).get() == content())
    }

    /// Signs `json` as a plain file's content, as the server of that version did.
    func plainFile(content json: String) throws -> String {
        let enc = Data(json.utf8)
        let signature = try key.privateKey.signature(for: LicenseFile.message(alg: "ed25519", type: .license, kid: key.id, enc: enc))
        let envelope = #"{"alg":"ed25519","enc":"\#(enc.base64EncodedString())","kid":"\#(key.id)","sig":"\#(signature.base64EncodedString())","type":"license"}"#
        return Armor.wrap(Data(envelope.utf8), label: LicenseFile.label)
    }

    @Test func aVersion1FileReadsItsFixedLimitsAsCodesWithNullUnlimited() throws {
        let json = #"{"expiresAt":"2027-01-16T08:00:00Z","issuedAt":"2027-01-15T08:00:00Z","license":{"accountId":"acc","customerId":"cus","entitlements":["*"],"expiresAt":null,"id":"lic","limits":{"concurrentExecutions":100,"executionsPerMonth":null,"maxMachines":null,"maxWorkflows":null,"requestsPerSecond":1000},"offlineGraceDays":30,"policyId":"pol","productId":"prd","status":"active","tier":"Enterprise"},"machine":null,"ttlSeconds":86400,"type":"license"}"#
        let issued = try #require(InternetTime.parse("2027-01-15T08:00:00Z"))
        let content = try LicenseFile.verify(try plainFile(content: json), now: issued.addingTimeInterval(60), keys: keys).get()
        #expect(content.version == 1)
        #expect(content.license.limits["executionsPerMonth"] == .unlimited && content.license.limits.maxMachines == nil)
        #expect(content.license.limits["concurrentExecutions"] == .limited(100) && content.license.limits.periods.isEmpty)
        // JSONDecoder reads it alike.
        let decoded = try LicenseFile.decoder.decode(LicenseFileContent.self, from: Data(json.utf8))
        #expect(decoded == content)
    }

    @Test func aFileOfANewerFormatIsRefusedByName() throws {
        var content = self.content()
        content.version = 3
        let file = try LicenseFile.issue(content, signedWith: key)
        #expect(LicenseFile.verify(file, now: now, fingerprint: "fp-1", keys: keys) == .failure(.unsupportedVersion(3)))
    }

    @Test func everyChangedByteIsFound() throws {
        let file = try LicenseFile.issue(content(), signedWith: key)
        let data = Armor.unwrap(file, label: LicenseFile.label)!
        for index in data.indices {
            var changed = data
            changed[index] ^= 0x01
            let result = LicenseFile.verify(Armor.wrap(changed, label: LicenseFile.label), now: now, fingerprint: "fp-1", keys: keys)
            #expect(result.isFailure, "byte \(index) changed unnoticed")
        }
    }

    /// The signature covers the envelope's fields, not their spelling: a file whose base64 or
    /// envelope JSON is written any other way is refused, not read as the same file.
    @Test func anotherSpellingOfTheSameFileIsRefused() throws {
        let file = try LicenseFile.issue(content(), signedWith: key)
        let envelope = try JSONSerialization.jsonObject(with: Armor.unwrap(file, label: LicenseFile.label)!) as! [String: String]
        func written(_ object: [String: String], spaced: Bool = false) throws -> String {
            var text = String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]), as: UTF8.self)
            if spaced { text = text.replacingOccurrences(of: "\":", with: "\": ") }
            return Armor.wrap(Data(text.utf8), label: LicenseFile.label)
        }
        #expect(LicenseFile.verify(try written(envelope), now: now, fingerprint: "fp-1", keys: keys).isSuccess)
        var sig = Array(envelope["sig"]!)
        let last = sig.count - 3  // before "=="
        sig[last] = Character(UnicodeScalar(sig[last].asciiValue! + 1))
        var respelled = envelope
        respelled["sig"] = String(sig)
        #expect(Data(base64Encoded: respelled["sig"]!) == Data(base64Encoded: envelope["sig"]!), "the same signature bytes")
        #expect(LicenseFile.verify(try written(respelled), now: now, fingerprint: "fp-1", keys: keys) == .failure(.malformed))
        #expect(LicenseFile.verify(try written(envelope, spaced: true), now: now, fingerprint: "fp-1", keys: keys) == .failure(.malformed))
        var extra = envelope
        extra["note"] = "x"
        #expect(LicenseFile.verify(try written(extra), now: now, fingerprint: "fp-1", keys: keys) == .failure(.malformed))
        // What mail does to text is still tolerated: quoting, CRLF, other line widths.
        let quoted = file.split(separator: "\n").map { "> \($0)\r\n" }.joined()
        #expect(LicenseFile.verify(quoted, now: now, fingerprint: "fp-1", keys: keys).isSuccess)
    }

    @Test func aFileIssuedMoreThanFiveMinutesAheadIsClockTampering() throws {
        let file = try LicenseFile.issue(content(), signedWith: key)
        #expect(LicenseFile.verify(file, now: now.addingTimeInterval(-299), keys: keys).isSuccess)
        #expect(LicenseFile.verify(file, now: now.addingTimeInterval(-301), keys: keys) == .failure(.issuedInFuture(now)))
    }

    @Test func anExpiredFileIsRefused() throws {
        let file = try LicenseFile.issue(content(ttl: 3600), signedWith: key)
        #expect(LicenseFile.verify(file, now: now.addingTimeInterval(3599), keys: keys).isSuccess)
        #expect(LicenseFile.verify(file, now: now.addingTimeInterval(3600), keys: keys) == .failure(.expired(now.addingTimeInterval(3600))))
    }

    @Test func aMachineFileForAnotherMachineIsRefused() throws {
        let file = try LicenseFile.issue(content(), signedWith: key)
        #expect(LicenseFile.verify(file, now: now, fingerprint: "fp-2", keys: keys) == .failure(.wrongMachine))
    }

    @Test func anEncryptedFileRevealsNothingAndOpensOnlyWithTheKeyAndFingerprint() throws {
        let file = try LicenseFile.issue(content(), signedWith: key, encryptWith: licenseKey)
        let envelope = String(decoding: Armor.unwrap(file, label: LicenseFile.label)!, as: UTF8.self)
        #expect(!envelope.contains("lic_1"))
        #expect(!String(decoding: Data(base64Encoded: try JSONDecoder().decode([String: String].self, from: Data(envelope.utf8))["enc"]!)!, as: UTF8.self).contains("lic_1"))
        #expect(try LicenseFile.verify(file, now: now, licenseKey: licenseKey, fingerprint: "fp-1", keys: keys).get() == content())
        #expect(LicenseFile.verify(file, now: now, keys: keys) == .failure(.encrypted))
        #expect(LicenseFile.verify(file, now: now, licenseKey: licenseKey + "X", fingerprint: "fp-1", keys: keys) == .failure(.wrongMachineOrKey))
        #expect(LicenseFile.verify(file, now: now, licenseKey: licenseKey, fingerprint: "fp-2", keys: keys) == .failure(.wrongMachineOrKey))
        let licenseFile = try LicenseFile.issue(content(machine: nil), signedWith: key, encryptWith: licenseKey)
        #expect(LicenseFile.verify(licenseFile, now: now, licenseKey: licenseKey, keys: keys).isSuccess)
        #expect(LicenseFile.verify(licenseFile, now: now, licenseKey: "other", keys: keys) == .failure(.wrongKey))
    }

    @Test func aFileFromAnUnknownKeyIsRefused() throws {
        let other = SigningKey.generate(accountId: Fixtures.accountId, now: now)
        let file = try LicenseFile.issue(content(), signedWith: other)
        #expect(LicenseFile.verify(file, now: now, keys: keys) == .failure(.unknownKey(other.id)))
    }

    @Test func theArmorSurvivesMailQuotingAndCRLF() throws {
        let file = try LicenseFile.issue(content(), signedWith: key)
        let mailed = "Hello, here is the file:\r\n\r\n" + file.split(separator: "\n").map { "> " + $0 }.joined(separator: "\r\n") + "\r\n-- \r\nBob"
        #expect(LicenseFile.verify(mailed, now: now, keys: keys).isSuccess)
        #expect(LicenseFile.verify("not a file", now: now, keys: keys) == .failure(.malformed))
    }

    @Test func offlineBlocksProveTheLicenseKeyWithoutCarryingIt() throws {
        let request = OfflineActivationRequest(licenseId: "lic_1", fingerprint: "fp", requestedAt: now)
        let text = try OfflineBlock(request, licenseKey: licenseKey, domain: OfflineActivationRequest.domain).armored(label: OfflineActivationRequest.label)
        #expect(!text.contains(licenseKey))
        let parsed = try #require(OfflineBlock<OfflineActivationRequest>.parse(text, label: OfflineActivationRequest.label))
        #expect(parsed.body == request)
        #expect(parsed.isProven(by: licenseKey, domain: OfflineActivationRequest.domain))
        #expect(!parsed.isProven(by: "other", domain: OfflineActivationRequest.domain))
        #expect(!parsed.isProven(by: licenseKey, domain: OfflineDeactivationReceipt.domain))
    }
}

extension Result {
    var isFailure: Bool {
        if case .failure = self { return true }
        return false
    }

    var isSuccess: Bool { !isFailure }
}
