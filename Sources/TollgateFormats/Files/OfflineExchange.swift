import Crypto
import Foundation

/// The blocks an air-gapped machine exchanges with the server through a person: an activation
/// request going in (answered by a machine file) and a deactivation receipt going in (freeing
/// the seat).
///
/// Each is armored JSON `{"data":"<base64 JSON>","proof":"<base64>"}` where `proof` is
/// HMAC-SHA256, keyed with the license key, of `<domain>\0` ‖ the data bytes. The machine and
/// the server both hold the license key, so the proof shows the block comes from a key holder
/// without the key ever appearing in it.
public struct OfflineBlock<Body: Codable & Sendable & Equatable>: Sendable, Equatable {
    public var body: Body
    let data: Data
    let proof: Data

    struct Envelope: Codable {
        var data: String
        var proof: String
    }

    /// Signs `body` with `licenseKey`.
    public init(_ body: Body, licenseKey: String, domain: String) throws {
        let data = try LicenseFile.encoder.encode(body)
        self.body = body
        self.data = data
        self.proof = Self.proof(data: data, licenseKey: licenseKey, domain: domain)
    }

    init(body: Body, data: Data, proof: Data) {
        self.body = body
        self.data = data
        self.proof = proof
    }

    /// The armored text.
    public func armored(label: String) throws -> String {
        Armor.wrap(try LicenseFile.encoder.encode(Envelope(data: data.base64EncodedString(), proof: proof.base64EncodedString())), label: label)
    }

    /// Reads an armored block without checking its proof (the license key is found from the body).
    public static func parse(_ text: String, label: String) -> OfflineBlock? {
        guard let envelopeData = Armor.unwrap(text, label: label),
            let envelope = try? JSONDecoder().decode(Envelope.self, from: envelopeData),
            let data = CanonicalBase64.decode(envelope.data), let proof = CanonicalBase64.decode(envelope.proof),
            let body = try? LicenseFile.decoder.decode(Body.self, from: data)
        else { return nil }
        return OfflineBlock(body: body, data: data, proof: proof)
    }

    /// Whether the proof was made with `licenseKey`.
    public func isProven(by licenseKey: String, domain: String) -> Bool {
        HMAC<SHA256>.isValidAuthenticationCode(proof, authenticating: Self.message(data, domain: domain), using: SymmetricKey(data: Data(licenseKey.utf8)))
    }

    static func message(_ data: Data, domain: String) -> Data {
        var message = Data("\(domain)\0".utf8)
        message.append(data)
        return message
    }

    static func proof(data: Data, licenseKey: String, domain: String) -> Data {
        Data(HMAC<SHA256>.authenticationCode(for: message(data, domain: domain), using: SymmetricKey(data: Data(licenseKey.utf8))))
    }
}

/// What an air-gapped machine asks for: a seat of `licenseId` for `fingerprint`.
public struct OfflineActivationRequest: Codable, Sendable, Equatable {
    public static let label = "TOLLGATE ACTIVATION REQUEST"
    public static let domain = "tollgate-activation-request-v1"
    /// How long a request may wait before it is submitted.
    public static let maximumAge: TimeInterval = 30 * 86_400

    public var licenseId: String
    public var fingerprint: String
    public var name: String?
    public var platform: String?
    public var hostname: String?
    public var cores: Int?
    public var requestedAt: Date
    /// Random, so that the answering machine file can be matched to the request.
    public var nonce: String

    public init(
        licenseId: String, fingerprint: String, name: String? = nil, platform: String? = nil, hostname: String? = nil,
        cores: Int? = nil, requestedAt: Date, nonce: String = OfflineActivationRequest.randomNonce()
    ) {
        self.licenseId = licenseId
        self.fingerprint = fingerprint
        self.name = name
        self.platform = platform
        self.hostname = hostname
        self.cores = cores
        self.requestedAt = Date(timeIntervalSince1970: requestedAt.timeIntervalSince1970.rounded(.down))
        self.nonce = nonce
    }

    /// Makes the armored request on the air-gapped machine. The license id is read from the key.
    public static func make(
        licenseKey: String, fingerprint: String, name: String? = nil, platform: String? = nil, hostname: String? = nil,
        cores: Int? = nil, now: Date
    ) throws -> String {
        let decoded = try LicenseKey.decode(licenseKey).map(\.key).get()
        let request = OfflineActivationRequest(
            licenseId: decoded.licenseId, fingerprint: fingerprint, name: name, platform: platform, hostname: hostname, cores: cores,
            requestedAt: now)
        return try OfflineBlock(request, licenseKey: licenseKey, domain: domain).armored(label: label)
    }

    /// 16 random bytes, base64url (two draws from the system generator, not sixteen).
    public static func randomNonce() -> String {
        var generator = SystemRandomNumberGenerator()
        let words = [generator.next() as UInt64, generator.next() as UInt64]
        return Base64URL.encode(words.withUnsafeBytes { Array($0) })
    }
}

/// What an air-gapped machine writes when it gives its seat back.
public struct OfflineDeactivationReceipt: Codable, Sendable, Equatable {
    public static let label = "TOLLGATE DEACTIVATION RECEIPT"
    public static let domain = "tollgate-deactivation-receipt-v1"

    public var licenseId: String
    public var machineId: String
    public var fingerprint: String
    public var deactivatedAt: Date

    public init(licenseId: String, machineId: String, fingerprint: String, deactivatedAt: Date) {
        self.licenseId = licenseId
        self.machineId = machineId
        self.fingerprint = fingerprint
        self.deactivatedAt = Date(timeIntervalSince1970: deactivatedAt.timeIntervalSince1970.rounded(.down))
    }

    /// Makes the armored receipt from the machine's file, after the app has stopped using it.
    public static func make(machineFile content: LicenseFileContent, licenseKey: String, now: Date) throws -> String {
        guard let machine = content.machine else {
            throw FormatError.invalid(field: "file", message: "A deactivation receipt needs a machine file, not a license file.")
        }
        let receipt = OfflineDeactivationReceipt(licenseId: content.license.id, machineId: machine.id, fingerprint: machine.fingerprint, deactivatedAt: now)
        return try OfflineBlock(receipt, licenseKey: licenseKey, domain: domain).armored(label: label)
    }
}
