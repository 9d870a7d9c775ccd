import Crypto
import Foundation

/// A signed license file: what an app keeps to run offline (check-out, air-gapped activation).
///
/// The armored body is a JSON envelope:
/// `{"alg":"ed25519"|"aes-256-gcm+ed25519","enc":"<base64>","kid":"<key id>","sig":"<base64>","type":"license"|"machine"}`.
/// - `enc` is the UTF-8 JSON of ``LicenseFileContent``, or for `aes-256-gcm+ed25519` its
///   AES-256-GCM sealed box (12-byte nonce ‖ ciphertext ‖ 16-byte tag). The key is
///   HKDF-SHA256 of the license key (salt `tollgate-license-file-v1`, info: the machine's
///   fingerprint for a machine file, empty for a license file), so the file alone reveals nothing.
/// - `sig` is Ed25519 over `tollgate-license-file-v1\0` ‖ alg ‖ `\0` ‖ type ‖ `\0` ‖ kid ‖ `\0` ‖ enc bytes:
///   the signature is checked before anything is decrypted or parsed, and covers every byte.
public enum LicenseFile {
    public static let label = "TOLLGATE LICENSE FILE"
    static let domain = "tollgate-license-file-v1"
    /// How far in the future a file's `issuedAt` may lie before verification calls it clock tampering.
    public static let futureTolerance: TimeInterval = 300

    struct Envelope: Codable {
        var alg: String
        var enc: String
        var kid: String
        var sig: String
        var type: LicenseFileContent.Kind

        init(alg: String, enc: String, kid: String, sig: String, type: LicenseFileContent.Kind) {
            (self.alg, self.enc, self.kid, self.sig, self.type) = (alg, enc, kid, sig, type)
        }

        /// Whether `data` is exactly the encoding ``LicenseFile/issue(_:signedWith:encryptWith:)``
        /// writes for this envelope: sorted keys, no white space, nothing escaped. The signature
        /// covers the fields, not their JSON; requiring the one encoding means a file with any
        /// changed byte (spaces, reordered or extra members) is refused rather than accepted.
        func isCanonical(_ data: Data) -> Bool {
            // The key id is the only field that could hold a character JSON escapes (alg and
            // type are checked against their few values, enc and sig are base64).
            guard kid.utf8.allSatisfy({ $0 >= 0x20 && $0 != UInt8(ascii: "\\") && $0 != UInt8(ascii: "\"") }) else { return false }
            return data.withUnsafeBytes { raw in
                var index = 0
                // Compares the next bytes with `text` (a memcmp: this is on the offline verification path).
                func match(_ text: String) -> Bool {
                    var text = text
                    return text.withUTF8 { piece in
                        guard raw.count - index >= piece.count else { return false }
                        if piece.count > 0, memcmp(raw.baseAddress! + index, piece.baseAddress!, piece.count) != 0 { return false }
                        index += piece.count
                        return true
                    }
                }
                return match("{\"alg\":\"") && match(alg) && match("\",\"enc\":\"") && match(enc) && match("\",\"kid\":\"") && match(kid)
                    && match("\",\"sig\":\"") && match(sig) && match("\",\"type\":\"") && match(type.rawValue) && match("\"}") && index == raw.count
            }
        }

        /// The envelope read with a ``JSONCursor`` (the hot path); `nil` leaves it to `JSONDecoder`.
        init?(_ data: Data) {
            guard
                let envelope = data.withUnsafeBytes({ raw -> Envelope? in
                    var cursor = JSONCursor(raw.bindMemory(to: UInt8.self))
                    var alg: String?, enc: String?, kid: String?, sig: String?, type: LicenseFileContent.Kind?
                    let read = cursor.object { key, cursor in
                        if key.is("type") {
                            type = cursor.string().flatMap(LicenseFileContent.Kind.init(rawValue:))
                            return type != nil
                        }
                        let value = cursor.string()
                        if key.is("alg") { alg = value } else if key.is("enc") { enc = value } else if key.is("kid") { kid = value } else if key.is("sig") { sig = value }
                        return value != nil
                    }
                    guard read, cursor.atEnd, let alg, let enc, let kid, let sig, let type else { return nil }
                    return Envelope(alg: alg, enc: enc, kid: kid, sig: sig, type: type)
                })
            else { return nil }
            self = envelope
        }
    }

    static let plainAlgorithm = "ed25519"
    static let encryptedAlgorithm = "aes-256-gcm+ed25519"

    /// Signs `content` with `key`, encrypting it when `encryptWith` holds the license key.
    public static func issue(_ content: LicenseFileContent, signedWith key: SigningKey, encryptWith licenseKey: String? = nil) throws -> String {
        let plain = try Self.encoder.encode(content)
        let algorithm: String
        let enc: Data
        if let licenseKey {
            algorithm = encryptedAlgorithm
            let symmetric = encryptionKey(licenseKey: licenseKey, fingerprint: content.machine?.fingerprint)
            guard let combined = try AES.GCM.seal(plain, using: symmetric).combined else { throw FormatError.sealingFailed }
            enc = combined
        } else {
            algorithm = plainAlgorithm
            enc = plain
        }
        let signature = try key.privateKey.signature(for: message(alg: algorithm, type: content.type, kid: key.id, enc: enc))
        let envelope = Envelope(alg: algorithm, enc: enc.base64EncodedString(), kid: key.id, sig: signature.base64EncodedString(), type: content.type)
        return Armor.wrap(try Self.encoder.encode(envelope), label: label)
    }

    /// Verifies a file and returns its content.
    ///
    /// - Parameters:
    ///   - keys: the verification key for a key id (the app's embedded public key, or a JWKS).
    ///   - licenseKey: the license key, needed to read an encrypted file.
    ///   - fingerprint: the machine's fingerprint; a machine file for another machine is refused.
    ///     `nil` skips the check (and cannot decrypt an encrypted machine file).
    public static func verify(
        _ text: String, now: Date, licenseKey: String? = nil, fingerprint: String? = nil,
        keys: (String) -> VerificationKey?
    ) -> Result<LicenseFileContent, LicenseFileError> {
        guard let (envelope, enc) = parse(text), let signature = CanonicalBase64.decode(envelope.sig) else { return .failure(.malformed) }
        guard envelope.alg == plainAlgorithm || envelope.alg == encryptedAlgorithm else { return .failure(.malformed) }
        guard let key = keys(envelope.kid) else { return .failure(.unknownKey(envelope.kid)) }
        guard key.publicKey.isValidSignature(signature, for: message(alg: envelope.alg, type: envelope.type, kid: envelope.kid, enc: enc)) else {
            return .failure(.badSignature)
        }
        if envelope.alg == encryptedAlgorithm, envelope.type == .machine, fingerprint == nil { return .failure(.encrypted) }
        let content: LicenseFileContent
        switch contents(of: envelope, enc: enc, licenseKey: licenseKey, fingerprint: fingerprint) {
        case .failure(let error): return .failure(error)
        case .success(let opened): content = opened
        }
        guard content.type == envelope.type else { return .failure(.malformed) }
        if content.issuedAt.timeIntervalSince(now) > futureTolerance { return .failure(.issuedInFuture(content.issuedAt)) }
        if now >= content.expiresAt { return .failure(.expired(content.expiresAt)) }
        if let fingerprint, let machine = content.machine, machine.fingerprint != fingerprint { return .failure(.wrongMachine) }
        return .success(content)
    }

    /// Reads a file's content without checking its signature or times: for a deactivation
    /// receipt, which the server proves another way. Never trust what this returns for access.
    public static func open(_ text: String, licenseKey: String?, fingerprint: String?) -> Result<LicenseFileContent, LicenseFileError> {
        guard let (envelope, enc) = parse(text) else { return .failure(.malformed) }
        return contents(of: envelope, enc: enc, licenseKey: licenseKey, fingerprint: fingerprint)
    }

    /// The envelope of an armored file and its `enc` bytes.
    static func parse(_ text: String) -> (Envelope, Data)? {
        guard let data = Armor.unwrap(text, label: label), let envelope = Envelope(data) ?? (try? decoder.decode(Envelope.self, from: data)),
            envelope.isCanonical(data), let enc = CanonicalBase64.decode(envelope.enc)
        else { return nil }
        return (envelope, enc)
    }

    /// The content `enc` holds, decrypted first when the file is encrypted.
    static func contents(of envelope: Envelope, enc: Data, licenseKey: String?, fingerprint: String?) -> Result<LicenseFileContent, LicenseFileError> {
        var plain = enc
        if envelope.alg == encryptedAlgorithm {
            guard let licenseKey else { return .failure(.encrypted) }
            let symmetric = encryptionKey(licenseKey: licenseKey, fingerprint: envelope.type == .machine ? fingerprint : nil)
            guard let box = try? AES.GCM.SealedBox(combined: enc), let opened = try? AES.GCM.open(box, using: symmetric) else {
                return .failure(envelope.type == .machine ? .wrongMachineOrKey : .wrongKey)
            }
            plain = opened
        }
        // The fast reader first; JSONDecoder decides whatever it does not take.
        let fast = plain.withUnsafeBytes { LicenseFileContent(json: $0.bindMemory(to: UInt8.self)) }
        guard let content = fast ?? (try? decoder.decode(LicenseFileContent.self, from: plain)) else { return .failure(.malformed) }
        guard content.version <= LicenseFileContent.currentVersion else { return .failure(.unsupportedVersion(content.version)) }
        return .success(content)
    }

    /// The AES-256 key of a file: HKDF-SHA256 of the license key, bound to a fingerprint for machine files.
    public static func encryptionKey(licenseKey: String, fingerprint: String?) -> SymmetricKey {
        HKDF<SHA256>.deriveKey(
            inputKeyMaterial: SymmetricKey(data: Data(licenseKey.utf8)), salt: Data(domain.utf8),
            info: Data((fingerprint ?? "").utf8), outputByteCount: 32)
    }

    static func message(alg: String, type: LicenseFileContent.Kind, kid: String, enc: Data) -> Data {
        var message = Data("\(domain)\0\(alg)\0\(type.rawValue)\0\(kid)\0".utf8)
        message.append(enc)
        return message
    }

    /// The JSON form of file contents and offline blocks: sorted keys, ISO 8601 times.
    public static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }()

    public static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = InternetTime.decodingStrategy
        return decoder
    }()
}

/// Why a license file was refused.
public enum LicenseFileError: Error, Sendable, Equatable {
    /// Not an armored license file, or its envelope or content cannot be read.
    case malformed
    /// Signed by a key the verifier does not hold (or that was retired).
    case unknownKey(String)
    /// The signature does not match: some byte was changed.
    case badSignature
    /// The file is encrypted and no license key (and fingerprint, for a machine file) was given.
    case encrypted
    /// The license key does not open the file.
    case wrongKey
    /// The license key and fingerprint do not open the machine file: another machine's, or another key.
    case wrongMachineOrKey
    /// `issuedAt` lies more than five minutes ahead of the verifier's clock: the clock was set back.
    case issuedInFuture(Date)
    case expired(Date)
    /// A machine file for another fingerprint.
    case wrongMachine
    /// The content's format is newer than this reader knows.
    case unsupportedVersion(Int)

    /// A stable code, as the CLI and the SDKs report it.
    public var code: String {
        switch self {
        case .malformed: "FILE_MALFORMED"
        case .unknownKey: "UNKNOWN_KEY"
        case .badSignature: "BAD_SIGNATURE"
        case .encrypted: "FILE_ENCRYPTED"
        case .wrongKey: "WRONG_KEY"
        case .wrongMachineOrKey, .wrongMachine: "WRONG_MACHINE"
        case .issuedInFuture: "ISSUED_IN_FUTURE"
        case .expired: "FILE_EXPIRED"
        case .unsupportedVersion: "FILE_VERSION_UNSUPPORTED"
        }
    }

    public var message: String {
        switch self {
        case .malformed: "This is not a readable Tollgate license file."
        case .unknownKey(let kid): "The file is signed by key '\(kid)', which the verifier does not hold."
        case .badSignature: "The file's signature does not match its content: it was changed."
        case .encrypted: "The file is encrypted: give the license key (and the machine's fingerprint for a machine file)."
        case .wrongKey: "The license key does not open this file."
        case .wrongMachineOrKey: "The file does not open with this license key and fingerprint: it is for another machine or license."
        case .issuedInFuture(let date): "The file was issued at \(date.formatted(.iso8601)), ahead of this machine's clock: the clock is wrong."
        case .expired(let date): "The file expired at \(date.formatted(.iso8601)); check out a new one."
        case .wrongMachine: "The file is bound to another machine."
        case .unsupportedVersion(let version): "The file is of format version \(version), newer than this reader's \(LicenseFileContent.currentVersion): update the app."
        }
    }
}

/// What a license file says.
public struct LicenseFileContent: Codable, Sendable, Equatable {
    /// A license file (check-out of a license) or a machine file (bound to one fingerprint).
    public enum Kind: String, Codable, Sendable { case license, machine }

    /// The license as a file carries it.
    public struct LicenseInfo: Codable, Sendable, Equatable {
        public var id: String
        public var accountId: String
        public var productId: String
        public var policyId: String
        public var customerId: String
        public var status: String
        public var tier: String
        public var entitlements: [String]
        /// The limits in force (`limits` and `limitPeriods` in the JSON).
        public var limits: EffectiveLimits
        public var expiresAt: Date?
        public var offlineGraceDays: Int

        public init(
            id: String, accountId: String, productId: String, policyId: String, customerId: String, status: String, tier: String,
            entitlements: [String], limits: EffectiveLimits, expiresAt: Date?, offlineGraceDays: Int
        ) {
            self.id = id
            self.accountId = accountId
            self.productId = productId
            self.policyId = policyId
            self.customerId = customerId
            self.status = status
            self.tier = tier
            self.entitlements = entitlements
            self.limits = limits
            self.expiresAt = expiresAt
            self.offlineGraceDays = offlineGraceDays
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(id, forKey: .id)
            try container.encode(accountId, forKey: .accountId)
            try container.encode(productId, forKey: .productId)
            try container.encode(policyId, forKey: .policyId)
            try container.encode(customerId, forKey: .customerId)
            try container.encode(status, forKey: .status)
            try container.encode(tier, forKey: .tier)
            try container.encode(entitlements, forKey: .entitlements)
            try limits.encode(to: &container, limits: .limits, periods: .limitPeriods)
            try container.encode(expiresAt, forKey: .expiresAt)
            try container.encode(offlineGraceDays, forKey: .offlineGraceDays)
        }

        enum CodingKeys: String, CodingKey {
            case id, accountId, productId, policyId, customerId, status, tier, entitlements, limits, limitPeriods, expiresAt, offlineGraceDays
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            self.init(
                id: try container.decode(String.self, forKey: .id), accountId: try container.decode(String.self, forKey: .accountId),
                productId: try container.decode(String.self, forKey: .productId), policyId: try container.decode(String.self, forKey: .policyId),
                customerId: try container.decode(String.self, forKey: .customerId), status: try container.decode(String.self, forKey: .status),
                tier: try container.decode(String.self, forKey: .tier), entitlements: try container.decode([String].self, forKey: .entitlements),
                limits: try EffectiveLimits(from: container, limits: .limits, periods: .limitPeriods),
                expiresAt: try container.decodeIfPresent(Date.self, forKey: .expiresAt),
                offlineGraceDays: try container.decode(Int.self, forKey: .offlineGraceDays))
        }
    }

    /// The machine a machine file is bound to.
    public struct MachineInfo: Codable, Sendable, Equatable {
        public var id: String
        public var fingerprint: String
        public var name: String?
        public var cluster: String?

        public init(id: String, fingerprint: String, name: String?, cluster: String?) {
            self.id = id
            self.fingerprint = fingerprint
            self.name = name
            self.cluster = cluster
        }
    }

    /// The content's format: 2 since limits are the vendor's codes (`limits` with `"unlimited"`
    /// and `limitPeriods`). Version 1 files (no `version`; four fixed limits, `null` for
    /// unlimited) still verify and read: their limits become codes of the same names.
    public var version: Int
    public var type: Kind
    public var license: LicenseInfo
    public var machine: MachineInfo?
    public var issuedAt: Date
    public var expiresAt: Date
    public var ttlSeconds: Int
    /// The nonce of the air-gapped activation request this file answers.
    public var requestNonce: String?

    /// The format this code writes.
    public static let currentVersion = 2

    enum CodingKeys: String, CodingKey { case version, type, license, machine, issuedAt, expiresAt, ttlSeconds, requestNonce }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        version = try container.decodeIfPresent(Int.self, forKey: .version) ?? 1
        type = try container.decode(Kind.self, forKey: .type)
        license = try container.decode(LicenseInfo.self, forKey: .license)
        machine = try container.decodeIfPresent(MachineInfo.self, forKey: .machine)
        issuedAt = try container.decode(Date.self, forKey: .issuedAt)
        expiresAt = try container.decode(Date.self, forKey: .expiresAt)
        ttlSeconds = try container.decode(Int.self, forKey: .ttlSeconds)
        requestNonce = try container.decodeIfPresent(String.self, forKey: .requestNonce)
    }

    public init(license: LicenseInfo, machine: MachineInfo?, issuedAt: Date, ttlSeconds: Int, requestNonce: String? = nil) {
        self.version = Self.currentVersion
        self.type = machine == nil ? .license : .machine
        self.license = license
        self.machine = machine
        let issued = Date(timeIntervalSince1970: issuedAt.timeIntervalSince1970.rounded(.down))
        self.issuedAt = issued
        self.expiresAt = issued.addingTimeInterval(TimeInterval(ttlSeconds))
        self.ttlSeconds = ttlSeconds
        self.requestNonce = requestNonce
    }
}

extension LicenseFileContent {
    /// The content read with a ``JSONCursor``, in exactly the form ``LicenseFile/encoder``
    /// writes (integers, whole-second UTC times); `nil` for anything else, which `JSONDecoder`
    /// then judges. Unknown members are skipped, as `JSONDecoder` skips them.
    init?(json bytes: UnsafeBufferPointer<UInt8>) {
        var cursor = JSONCursor(bytes)
        var kind: Kind?, issuedAt: Date?, expiresAt: Date?, ttlSeconds: Int?, requestNonce: String?
        var license: LicenseInfo?, machine: MachineInfo?, version = 1
        let read = cursor.object { key, cursor in
            if key.is("version") {
                guard let number = cursor.int() else { return false }
                version = number
                return true
            } else if key.is("type") {
                kind = cursor.rawString().flatMap { Kind(rawValue: String(decoding: $0, as: UTF8.self)) }
                return kind != nil
            } else if key.is("issuedAt") {
                issuedAt = cursor.date()
                return issuedAt != nil
            } else if key.is("expiresAt") {
                expiresAt = cursor.date()
                return expiresAt != nil
            } else if key.is("ttlSeconds") {
                ttlSeconds = cursor.int()
                return ttlSeconds != nil
            } else if key.is("requestNonce") {
                return cursor.optional({ $0.string() }, into: &requestNonce)
            } else if key.is("license") {
                license = LicenseInfo(&cursor)
                return license != nil
            } else if key.is("machine") {
                if cursor.null() { return true }
                machine = MachineInfo(&cursor)
                return machine != nil
            }
            return cursor.skip()
        }
        guard read, cursor.atEnd, let kind, let issuedAt, let expiresAt, let ttlSeconds, let license else { return nil }
        self.init(license: license, machine: machine, issuedAt: issuedAt, ttlSeconds: ttlSeconds, requestNonce: requestNonce)
        // As stored, not as derived: a decoder reads the fields it is given.
        self.version = version
        self.type = kind
        self.issuedAt = issuedAt
        self.expiresAt = expiresAt
    }
}

extension LicenseFileContent.LicenseInfo {
    init?(_ cursor: inout JSONCursor) {
        var id: String?, accountId: String?, productId: String?, policyId: String?, customerId: String?, status: String?, tier: String?
        var entitlements: [String]?, limits = EffectiveLimits(), hasLimits = false, expiresAt: Date?, offlineGraceDays: Int?
        let read = cursor.object { key, cursor in
            func text(_ target: inout String?) -> Bool {
                target = cursor.string()
                return target != nil
            }
            if key.is("id") { return text(&id) }
            if key.is("accountId") { return text(&accountId) }
            if key.is("productId") { return text(&productId) }
            if key.is("policyId") { return text(&policyId) }
            if key.is("customerId") { return text(&customerId) }
            if key.is("status") { return text(&status) }
            if key.is("tier") { return text(&tier) }
            if key.is("offlineGraceDays") {
                offlineGraceDays = cursor.int()
                return offlineGraceDays != nil
            }
            if key.is("expiresAt") { return cursor.optional({ $0.date() }, into: &expiresAt) }
            if key.is("entitlements") {
                var values: [String] = []
                entitlements = cursor.array { cursor in
                    guard let value = cursor.string() else { return false }
                    values.append(value)
                    return true
                } ? values : nil
                return entitlements != nil
            }
            if key.is("limits") {
                var values: [String: LimitValue] = [:]
                let ok = cursor.object { key, cursor in
                    let code = String(decoding: key, as: UTF8.self)
                    if cursor.null() {
                        values[code] = .unlimited  // version 1
                    } else if let number = cursor.int() {
                        values[code] = .limited(number)
                    } else if let text = cursor.rawString(), text.is("unlimited") {
                        values[code] = .unlimited
                    } else {
                        return false
                    }
                    return true
                }
                limits.values = values
                hasLimits = ok
                return ok
            }
            if key.is("limitPeriods") {
                var periods: [String: LimitPeriod] = [:]
                let ok = cursor.object { key, cursor in
                    guard let text = cursor.string(), let period = LimitPeriod(rawValue: text) else { return false }
                    periods[String(decoding: key, as: UTF8.self)] = period
                    return true
                }
                limits.periods = periods
                return ok
            }
            return cursor.skip()
        }
        guard read, hasLimits, let id, let accountId, let productId, let policyId, let customerId, let status, let tier, let entitlements,
            let offlineGraceDays
        else { return nil }
        self.init(
            id: id, accountId: accountId, productId: productId, policyId: policyId, customerId: customerId, status: status, tier: tier,
            entitlements: entitlements, limits: limits, expiresAt: expiresAt, offlineGraceDays: offlineGraceDays)
    }
}

extension LicenseFileContent.MachineInfo {
    init?(_ cursor: inout JSONCursor) {
        var id: String?, fingerprint: String?, name: String?, cluster: String?
        let read = cursor.object { key, cursor in
            if key.is("id") {
                id = cursor.string()
                return id != nil
            }
            if key.is("fingerprint") {
                fingerprint = cursor.string()
                return fingerprint != nil
            }
            if key.is("name") { return cursor.optional({ $0.string() }, into: &name) }
            if key.is("cluster") { return cursor.optional({ $0.string() }, into: &cluster) }
            return cursor.skip()
        }
        guard read, let id, let fingerprint else { return nil }
        self.init(id: id, fingerprint: fingerprint, name: name, cluster: cluster)
    }
}

extension JSONCursor {
    /// Reads `null` (leaving `target` nil) or a value `read` reads into `target`.
    mutating func optional<T>(_ read: (inout JSONCursor) -> T?, into target: inout T?) -> Bool {
        if null() {
            target = nil
            return true
        }
        target = read(&self)
        return target != nil
    }
}

extension UnsafeBufferPointer where Element == UInt8 {
    /// Whether these bytes spell `name`.
    func `is`(_ name: StaticString) -> Bool {
        count == name.utf8CodeUnitCount && elementsEqual(UnsafeBufferPointer(start: name.utf8Start, count: count))
    }
}
