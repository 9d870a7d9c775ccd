import Crypto
import Foundation
import Testing
import TollgateClient
import TollgateDomain
import TollgateFormats

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The shared test vectors (`sdk/vectors/vectors.json`) every SDK's suite reads: what the server
/// signs, genuine and spoiled, each with the verdict an SDK must reach.
struct SharedVectors: Codable, Equatable {
    var format = "tollgate-sdk-vectors-v1"
    var note = "Written by the server's own code: TOLLGATE_WRITE_VECTORS=1 swift test --filter SharedVectorTests. Times are Unix seconds."
    var jwks: JWKS
    var licenseKeys: [Vector] = []
    var licenseFiles: [Vector] = []
    var tokens: [Vector] = []
    var validationAnswers: [Vector] = []

    /// One input and its verdict. Which inputs are set depends on the section.
    struct Vector: Codable, Equatable {
        var name: String
        var key: String?
        var file: String?
        var licenseKey: String?
        var fingerprint: String?
        var token: String?
        var body: String?
        var signature: String?
        var nonce: String?
        var now: Int64?
        var expect: Expect
    }

    /// The verdict: `valid` with what the content says, or the failure `error` code.
    struct Expect: Codable, Equatable {
        var valid: Bool
        var error: String?
        var type: String?
        var licenseId: String?
        var productId: String?
        var keyId: String?
        var machineId: String?
        var tier: String?
        var entitlements: [String]?
        var offlineGraceDays: Int?
        var expiresAt: Int64?
        /// For validation answers: the license verdict the trusted answer states.
        var code: String?
        /// For files and tokens: the limits by code (a number or "unlimited") and their periods.
        var limits: [String: LimitValue]?
        var limitPeriods: [String: LimitPeriod]?

        /// What must not change between two generations (ids and times do).
        var shape: Expect {
            Expect(
                valid: valid, error: error, type: type, licenseId: licenseId.map { _ in "*" }, productId: productId.map { _ in "*" },
                keyId: keyId.map { _ in "*" }, machineId: machineId.map { _ in "*" }, tier: tier, entitlements: entitlements,
                offlineGraceDays: offlineGraceDays, expiresAt: expiresAt.map { _ in 0 }, code: code, limits: limits, limitPeriods: limitPeriods)
        }
    }

    static let location = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("sdk/vectors/vectors.json")

    static func load() throws -> SharedVectors { try JSONDecoder().decode(SharedVectors.self, from: try Data(contentsOf: location)) }

    func write() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try FileManager.default.createDirectory(at: Self.location.deletingLastPathComponent(), withIntermediateDirectories: true)
        try (encoder.encode(self) + Data("\n".utf8)).write(to: Self.location, options: .atomic)
    }

    /// Every vector's name and verdict with ids and times masked, and the field names of the
    /// formats (file content, token claims, validation answer): equal for two generations
    /// unless a format or a verdict changed.
    var shape: [String] {
        var lines: [String] = []
        for (section, vectors) in [("licenseKeys", licenseKeys), ("licenseFiles", licenseFiles), ("tokens", tokens), ("validationAnswers", validationAnswers)] {
            for vector in vectors {
                let data = (try? JSONEncoder.sorted.encode(vector.expect.shape)) ?? Data()
                lines.append("\(section)/\(vector.name): \(String(decoding: data, as: UTF8.self))")
            }
        }
        if let file = licenseFiles.first(where: { $0.name == "plain machine file" })?.file, let fields = Self.fileFields(file) {
            lines.append("machine file fields: \(fields.joined(separator: ","))")
        }
        if let token = tokens.first(where: { $0.name == "valid" })?.token, let payload = token.split(separator: ".").dropFirst().first,
            let data = Base64URL.decode(String(payload))
        {
            lines.append("token claims: \(Self.keyPaths(data).joined(separator: ","))")
        }
        if let body = validationAnswers.first(where: { $0.name == "valid" })?.body {
            lines.append("validation answer fields: \(Self.keyPaths(Data(body.utf8)).joined(separator: ","))")
        }
        return lines
    }

    /// The key paths of a plain file's envelope and content.
    static func fileFields(_ file: String) -> [String]? {
        guard let envelope = Armor.unwrap(file, label: LicenseFile.label),
            let object = (try? JSONSerialization.jsonObject(with: envelope)) as? [String: Any], let enc = object["enc"] as? String,
            let content = Data(base64Encoded: enc)
        else { return nil }
        return keyPaths(envelope).map { "envelope.\($0)" } + keyPaths(content)
    }

    static func keyPaths(_ data: Data) -> [String] {
        func walk(_ value: Any, _ prefix: String) -> [String] {
            guard let object = value as? [String: Any] else { return [prefix] }
            return object.flatMap { key, value in walk(value, prefix.isEmpty ? key : "\(prefix).\(key)") }
        }
        return ((try? JSONSerialization.jsonObject(with: data)).map { walk($0, "") } ?? []).sorted()
    }
}

extension JSONEncoder {
    static let sorted: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }()
}

/// Produces the vectors with a live server: genuine artefacts come from its HTTP API; spoiled
/// ones from the same code (`TollgateFormats`) with another key or a changed byte.
enum VectorGenerator {
    static let fingerprint = "vector-machine-fingerprint"
    static let nonce = "vector-nonce-0001"

    static func generate(_ server: LiveServer) async throws -> SharedVectors {
        let t0 = Int64(server.clock.now().timeIntervalSince1970)
        let jwks = try await server.jwks()
        var vectors = SharedVectors(jwks: jwks)
        let kid = jwks.keys[0].kid
        let sameKid = SigningKey(id: kid, accountId: "acct", privateKey: Curve25519.Signing.PrivateKey(), createdAt: server.clock.now())
        let otherKid = SigningKey.generate(accountId: "acct", now: server.clock.now())

        let license = try await server.license(preset: "professional")
        let suspended = try await server.license(preset: "professional")
        try await server.admin("POST", "/v1/licenses/\(suspended.id)/actions/suspend")
        let activation = try await server.call("POST", "/v1/machines", ["fingerprint": fingerprint, "name": "vector"], authorization: "License \(license.key)")
        let token = try #require(activation.object["token"] as? String)
        let machine = activation.object["machine"] as? [String: Any]
        let machineId = try #require(machine?["id"] as? String)
        func checkOut(_ path: String, encrypt: Bool) async throws -> String {
            try #require(try await server.call("POST", path, ["encrypt": encrypt, "ttlSeconds": 86_400], authorization: "License \(license.key)").object["file"] as? String)
        }
        let machineFile = try await checkOut("/v1/machines/\(machineId)/actions/check-out", encrypt: true)
        let plainMachineFile = try await checkOut("/v1/machines/\(machineId)/actions/check-out", encrypt: false)
        let licenseFile = try await checkOut("/v1/licenses/\(license.id)/actions/check-out", encrypt: false)
        let encryptedLicenseFile = try await checkOut("/v1/licenses/\(license.id)/actions/check-out", encrypt: true)

        // License keys.
        let decoded = try LicenseKey.decode(license.key).get().key
        let keyExpect = SharedVectors.Expect(
            valid: true, licenseId: license.id, productId: license.product, keyId: kid, expiresAt: decoded.expiresAt.map { Int64($0.timeIntervalSince1970) })
        vectors.licenseKeys = [
            .init(name: "valid", key: license.key, expect: keyExpect),
            .init(name: "valid, lower case with spaces", key: " " + license.key.lowercased() + "\n", expect: keyExpect),
            .init(name: "mistyped character", key: mistype(license.key), expect: .init(valid: false, error: "KEY_MISTYPED")),
            .init(name: "truncated", key: String(license.key.dropLast(3)), expect: .init(valid: false, error: "KEY_MISTYPED")),
            .init(name: "unused bits of the last character set", key: paddingBitSet(license.key), expect: .init(valid: false, error: "KEY_MISTYPED")),
            .init(name: "not a key", key: "hello", expect: .init(valid: false, error: "KEY_MISTYPED")),
            .init(name: "signed by another key with the same id", key: try decoded.signed(with: sameKid), expect: .init(valid: false, error: "BAD_SIGNATURE")),
            .init(
                name: "signed by an unknown key",
                key: try LicenseKey(keyId: otherKid.id, licenseId: license.id, productId: license.product, expiresAt: nil).signed(with: otherKid),
                expect: .init(valid: false, error: "BAD_SIGNATURE")),
        ]

        // Files: genuine ones, verified at several times, and spoiled ones.
        let verifier = Verifier(keys: jwks)
        let content = try verifier.licenseFile(plainMachineFile, now: server.clock.now(), fingerprint: fingerprint).get()
        let licenseContent = try verifier.licenseFile(licenseFile, now: server.clock.now()).get()
        func fileExpect(_ content: LicenseFileContent) -> SharedVectors.Expect {
            .init(
                valid: true, type: content.type.rawValue, licenseId: content.license.id, machineId: content.machine?.id, tier: content.license.tier,
                entitlements: content.license.entitlements, offlineGraceDays: content.license.offlineGraceDays,
                expiresAt: Int64(content.expiresAt.timeIntervalSince1970), limits: content.license.limits.values,
                limitPeriods: content.license.limits.periods)
        }
        func fails(_ code: String) -> SharedVectors.Expect { .init(valid: false, error: code) }
        let issued = Int64(content.issuedAt.timeIntervalSince1970)
        vectors.licenseFiles = [
            .init(name: "encrypted machine file", file: machineFile, licenseKey: license.key, fingerprint: fingerprint, now: t0 + 60, expect: fileExpect(content)),
            .init(name: "plain machine file", file: plainMachineFile, fingerprint: fingerprint, now: t0 + 60, expect: fileExpect(content)),
            .init(name: "plain license file", file: licenseFile, now: t0 + 60, expect: fileExpect(licenseContent)),
            .init(name: "encrypted license file", file: encryptedLicenseFile, licenseKey: license.key, now: t0 + 60, expect: fileExpect(licenseContent)),
            .init(
                name: "quoted in mail with CRLF", file: machineFile.split(separator: "\n").map { "> \($0)\r\n" }.joined(), licenseKey: license.key,
                fingerprint: fingerprint, now: t0 + 60, expect: fileExpect(content)),
            .init(name: "one second before expiry", file: plainMachineFile, fingerprint: fingerprint, now: issued + 86_399, expect: fileExpect(content)),
            .init(name: "expired", file: plainMachineFile, fingerprint: fingerprint, now: issued + 86_400, expect: fails("FILE_EXPIRED")),
            .init(name: "issued 299 s ahead of the clock", file: plainMachineFile, fingerprint: fingerprint, now: issued - 299, expect: fileExpect(content)),
            .init(name: "issued in the future", file: plainMachineFile, fingerprint: fingerprint, now: issued - 301, expect: fails("ISSUED_IN_FUTURE")),
            .init(
                name: "encrypted machine file on another machine", file: machineFile, licenseKey: license.key, fingerprint: "another-machine",
                now: t0 + 60, expect: fails("WRONG_MACHINE")),
            .init(name: "plain machine file on another machine", file: plainMachineFile, fingerprint: "another-machine", now: t0 + 60, expect: fails("WRONG_MACHINE")),
            .init(
                name: "encrypted machine file with another license key", file: machineFile, licenseKey: suspended.key, fingerprint: fingerprint,
                now: t0 + 60, expect: fails("WRONG_MACHINE")),
            .init(name: "encrypted machine file without the fingerprint", file: machineFile, licenseKey: license.key, now: t0 + 60, expect: fails("FILE_ENCRYPTED")),
            .init(name: "encrypted license file without the key", file: encryptedLicenseFile, now: t0 + 60, expect: fails("FILE_ENCRYPTED")),
            .init(name: "encrypted license file with another key", file: encryptedLicenseFile, licenseKey: suspended.key, now: t0 + 60, expect: fails("WRONG_KEY")),
            .init(name: "tampered content", file: tamper(plainMachineFile), fingerprint: fingerprint, now: t0 + 60, expect: fails("BAD_SIGNATURE")),
            .init(
                name: "tampered ciphertext", file: tamper(machineFile), licenseKey: license.key, fingerprint: fingerprint, now: t0 + 60,
                expect: fails("BAD_SIGNATURE")),
            .init(
                name: "signed by another key with the same id", file: try LicenseFile.issue(content, signedWith: sameKid), fingerprint: fingerprint,
                now: t0 + 60, expect: fails("BAD_SIGNATURE")),
            .init(
                name: "signed by an unknown key", file: try LicenseFile.issue(content, signedWith: otherKid), fingerprint: fingerprint, now: t0 + 60,
                expect: fails("UNKNOWN_KEY")),
            .init(
                name: "signature with a changed unused bit", file: respell(plainMachineFile) { $0["sig"] = nonCanonical($0["sig"]!) },
                fingerprint: fingerprint, now: t0 + 60, expect: fails("FILE_MALFORMED")),
            .init(
                name: "envelope spelled with spaces", file: respell(plainMachineFile, spaced: true) { _ in }, fingerprint: fingerprint,
                now: t0 + 60, expect: fails("FILE_MALFORMED")),
            .init(
                name: "envelope with an extra member", file: respell(plainMachineFile) { $0["note"] = "x" }, fingerprint: fingerprint,
                now: t0 + 60, expect: fails("FILE_MALFORMED")),
            .init(name: "not a file", file: "-----BEGIN TOLLGATE LICENSE FILE-----\nbm90IGpzb24=\n-----END TOLLGATE LICENSE FILE-----\n", now: t0, expect: fails("FILE_MALFORMED")),
        ]

        // Machine tokens.
        let claims = try verifier.token(token).get()
        let tokenExpect = SharedVectors.Expect(
            valid: true, licenseId: claims.license, machineId: claims.machine, tier: claims.tier, entitlements: claims.entitlements,
            expiresAt: Int64(claims.exp.timeIntervalSince1970), limits: claims.limits.values, limitPeriods: claims.limits.periods)
        let exp = Int64(claims.exp.timeIntervalSince1970)
        let parts = token.split(separator: ".").map(String.init)
        let payloadData = try #require(Base64URL.decode(parts[1]))
        var payload = try #require(try JSONSerialization.jsonObject(with: payloadData) as? [String: Any])
        payload["tier"] = "Enterprise"
        payload["entitlements"] = ["*"]
        let raised = Base64URL.encode(try JSONSerialization.data(withJSONObject: payload, options: [.sortedKeys]))
        func resign(_ key: SigningKey) throws -> String {
            let header = Base64URL.encode(Data("{\"alg\":\"EdDSA\",\"kid\":\"\(key.id)\",\"typ\":\"JWT\"}".utf8))
            let signature = try key.privateKey.signature(for: Data("\(header).\(parts[1])".utf8))
            return "\(header).\(parts[1]).\(Base64URL.encode(signature))"
        }
        vectors.tokens = [
            .init(name: "valid", token: token, now: t0 + 60, expect: tokenExpect),
            .init(name: "one second before expiry", token: token, now: exp - 1, expect: tokenExpect),
            .init(name: "expired", token: token, now: exp, expect: fails("TOKEN_EXPIRED")),
            .init(name: "claims raised", token: "\(parts[0]).\(raised).\(parts[2])", now: t0 + 60, expect: fails("BAD_SIGNATURE")),
            .init(name: "signed by another key with the same id", token: try resign(sameKid), now: t0 + 60, expect: fails("BAD_SIGNATURE")),
            .init(name: "signed by an unknown key", token: try resign(otherKid), now: t0 + 60, expect: fails("UNKNOWN_KEY")),
            .init(
                name: "signature with a changed unused bit", token: "\(parts[0]).\(parts[1]).\(nonCanonical(parts[2], url: true))", now: t0 + 60,
                expect: fails("TOKEN_MALFORMED")),
            .init(name: "not a token", token: "not.a-token", now: t0, expect: fails("TOKEN_MALFORMED")),
        ]

        // Signed validation answers.
        func validate(_ key: String) async throws -> (body: String, signature: String) {
            let answer = try await server.call(
                "POST", "/v1/licenses/validate", ["key": key, "nonce": nonce, "scope": ["productId": license.product, "fingerprint": fingerprint]],
                authorization: nil)
            return (String(decoding: answer.data, as: UTF8.self), try #require(answer.signature))
        }
        let valid = try await validate(license.key)
        let refused = try await validate(suspended.key)
        let forged = try ResponseSignature.sign(Data(valid.body.utf8), with: sameKid)
        let unknown = try ResponseSignature.sign(Data(valid.body.utf8), with: otherKid)
        vectors.validationAnswers = [
            .init(name: "valid", body: valid.body, signature: valid.signature, nonce: nonce, expect: .init(valid: true, licenseId: license.id, code: "VALID")),
            .init(
                name: "suspended license", body: refused.body, signature: refused.signature, nonce: nonce,
                expect: .init(valid: true, licenseId: suspended.id, code: "SUSPENDED")),
            .init(
                name: "refusal turned into a pass", body: refused.body.replacingOccurrences(of: "\"valid\":false", with: "\"valid\":true "),
                signature: refused.signature, nonce: nonce, expect: fails("BAD_SIGNATURE")),
            .init(name: "replayed for another request", body: valid.body, signature: valid.signature, nonce: "vector-nonce-0002", expect: fails("NONCE_MISMATCH")),
            .init(name: "signed by another key with the same id", body: valid.body, signature: forged, nonce: nonce, expect: fails("BAD_SIGNATURE")),
            .init(name: "signed by an unknown key", body: valid.body, signature: unknown, nonce: nonce, expect: fails("UNKNOWN_KEY")),
            .init(name: "unsigned", body: valid.body, nonce: nonce, expect: fails("NO_SIGNATURE")),
            .init(
                name: "signature with a changed unused bit", body: valid.body, signature: respellSignature(valid.signature), nonce: nonce,
                expect: fails("NO_SIGNATURE")),
        ]
        try carryOverVersion1(into: &vectors)
        return vectors
    }

    /// Files and a token of format version 1 (fixed limits, `null` for unlimited, no `version`
    /// or `ver`), as the server wrote them before limits became the vendor's codes: taken once
    /// from the committed vectors of that time and carried over, with the key that signed them,
    /// so that every SDK keeps proving it reads the old format. Their verdicts are recomputed.
    static func carryOverVersion1(into vectors: inout SharedVectors) throws {
        guard let committed = try? SharedVectors.load() else { return }
        let prefix = "version 1: "
        var files = committed.licenseFiles.filter { $0.name.hasPrefix(prefix) }
        var tokens = committed.tokens.filter { $0.name.hasPrefix(prefix) }
        if files.isEmpty && tokens.isEmpty {
            // The first generation after the change: the committed vectors are all version 1.
            files = committed.licenseFiles.filter { ["plain machine file", "encrypted machine file", "plain license file"].contains($0.name) }
            tokens = committed.tokens.filter { $0.name == "valid" }
            for index in files.indices { files[index].name = prefix + files[index].name }
            for index in tokens.indices { tokens[index].name = prefix + tokens[index].name }
        }
        let legacyKeys = committed.jwks.keys.filter { key in !vectors.jwks.keys.contains { $0.kid == key.kid } }
        vectors.jwks.keys += legacyKeys
        let verifier = Verifier(keys: vectors.jwks)
        for var vector in files {
            let content = try verifier.licenseFile(vector.file ?? "", now: Date(timeIntervalSince1970: Double(vector.now ?? 0)),
                licenseKey: vector.licenseKey, fingerprint: vector.fingerprint).get()
            #expect(content.version == 1, "\(vector.name) is not a version 1 file")
            vector.expect.limits = content.license.limits.values
            vector.expect.limitPeriods = content.license.limits.periods
            vectors.licenseFiles.append(vector)
        }
        for var vector in tokens {
            let claims = try verifier.token(vector.token ?? "", now: Date(timeIntervalSince1970: Double(vector.now ?? 0))).get()
            #expect(claims.version == 1, "\(vector.name) is not a version 1 token")
            vector.expect.limits = claims.limits.values
            vector.expect.limitPeriods = claims.limits.periods
            vectors.tokens.append(vector)
        }
    }

    /// `key` with one character after the prefix changed to another of the alphabet.
    static func mistype(_ key: String) -> String {
        var characters = Array(key)
        characters[20] = characters[20] == "Q" ? "R" : "Q"
        return String(characters)
    }

    /// `key` with the spare low bits of its last character set: the same bytes under a
    /// non-canonical spelling, which a strict decoder refuses.
    static func paddingBitSet(_ key: String) -> String {
        let alphabet = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ")
        let value = alphabet.firstIndex(of: key.last!)!
        return String(key.dropLast()) + String(alphabet[value | 1])
    }

    /// Base64 `text` (padded standard, or unpadded base64url) with a spare low bit of its last
    /// symbol set: Foundation, Python and Node decode it to the same bytes.
    static func nonCanonical(_ text: String, url: Bool = false) -> String {
        let alphabet = Array(url ? "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_" : "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
        var characters = Array(text)
        let padding = characters.reversed().prefix { $0 == "=" }.count
        let last = characters.count - padding - 1
        let symbols = characters.count - padding
        precondition(symbols % 4 == 2 || symbols % 4 == 3, "this text has no spare bits")
        characters[last] = alphabet[alphabet.firstIndex(of: characters[last])! | 1]
        return String(characters)
    }

    /// `file` with its envelope changed by `change` and written again (with spaces after the
    /// separators when `spaced`); the signed fields stay as they were unless `change` edits them.
    static func respell(_ file: String, spaced: Bool = false, _ change: (inout [String: String]) -> Void) -> String {
        var object = try! JSONSerialization.jsonObject(with: Armor.unwrap(file, label: LicenseFile.label)!) as! [String: String]
        change(&object)
        var data = try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
        if spaced {
            data = Data(String(decoding: data, as: UTF8.self).replacingOccurrences(of: "\",\"", with: "\", \"").utf8)
        }
        return Armor.wrap(data, label: LicenseFile.label)
    }

    /// A `Tollgate-Signature` header with its signature respelled by ``nonCanonical(_:url:)``.
    static func respellSignature(_ header: String) -> String {
        let parts = header.components(separatedBy: "signature=\"")
        let value = parts[1].prefix { $0 != "\"" }
        return parts[0] + "signature=\"" + nonCanonical(String(value)) + "\""
    }

    /// `file` with one bit of its signed `enc` bytes flipped, still well-formed.
    static func tamper(_ file: String) -> String {
        let envelope = Armor.unwrap(file, label: LicenseFile.label)!
        var object = try! JSONSerialization.jsonObject(with: envelope) as! [String: Any]
        var enc = Data(base64Encoded: object["enc"] as! String)!
        enc[enc.count / 2] ^= 0x01
        object["enc"] = enc.base64EncodedString()
        return Armor.wrap(try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]), label: LicenseFile.label)
    }
}
