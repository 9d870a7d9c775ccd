import Crypto
import Foundation

/// An Ed25519 signing key of one account, named by a key id (`kid`).
///
/// Key ids are 8 hex digits (4 random bytes) because license keys carry them in binary;
/// ``KeyRing`` refuses a key whose id is taken.
public struct SigningKey: Sendable {
    public let id: String
    public let accountId: String
    public let privateKey: Curve25519.Signing.PrivateKey
    public let createdAt: Date
    /// Once retired a key neither signs nor verifies.
    public var retiredAt: Date?

    public var publicKey: Curve25519.Signing.PublicKey { privateKey.publicKey }

    public init(id: String, accountId: String, privateKey: Curve25519.Signing.PrivateKey, createdAt: Date, retiredAt: Date? = nil) {
        self.id = id
        self.accountId = accountId
        self.privateKey = privateKey
        self.createdAt = createdAt
        self.retiredAt = retiredAt
    }

    /// A new random key.
    public static func generate(accountId: String, now: Date) -> SigningKey {
        var generator = SystemRandomNumberGenerator()
        let id = String(format: "%08x", UInt32.random(in: 0...UInt32.max, using: &generator))
        return SigningKey(id: id, accountId: accountId, privateKey: .init(), createdAt: now)
    }

    /// A key id as the 4 bytes a license key carries.
    static func idBytes(_ id: String) -> [UInt8]? {
        guard id.count == 8, let value = UInt32(id, radix: 16) else { return nil }
        return withUnsafeBytes(of: value.bigEndian) { Array($0) }
    }

    /// The open form of a key, as `tollgate keys export` prints it and `tollgate keys import` and
    /// `TOLLGATE_SIGNING_KEYS` read it (the database keeps the private key sealed).
    public struct Stored: Codable, Sendable {
        public var kid: String
        public var accountId: String
        public var createdAt: Date
        public var retiredAt: Date?
        /// The 32-byte Ed25519 seed, base64.
        public var privateKey: String
    }

    public var stored: Stored {
        Stored(kid: id, accountId: accountId, createdAt: createdAt, retiredAt: retiredAt, privateKey: privateKey.rawRepresentation.base64EncodedString())
    }

    public init(stored: Stored) throws(FormatError) {
        guard Self.idBytes(stored.kid) != nil else {
            throw .invalid(field: "kid", message: "Signing key id '\(stored.kid)' is not 8 hex digits.")
        }
        guard let seed = Data(base64Encoded: stored.privateKey),
            let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: seed)
        else {
            throw .invalid(field: "privateKey", message: "Signing key '\(stored.kid)' does not hold a 32-byte base64 Ed25519 seed.")
        }
        self.init(id: stored.kid, accountId: stored.accountId, privateKey: key, createdAt: stored.createdAt, retiredAt: stored.retiredAt)
    }
}

/// The public half of a signing key: what offline verifiers hold.
public struct VerificationKey: Sendable {
    public let id: String
    public let accountId: String?
    public let publicKey: Curve25519.Signing.PublicKey

    public init(id: String, accountId: String?, publicKey: Curve25519.Signing.PublicKey) {
        self.id = id
        self.accountId = accountId
        self.publicKey = publicKey
    }

    /// The DER prefix of an Ed25519 SubjectPublicKeyInfo (RFC 8410).
    static let spkiPrefix: [UInt8] = [0x30, 0x2A, 0x30, 0x05, 0x06, 0x03, 0x2B, 0x65, 0x70, 0x03, 0x21, 0x00]

    /// The key as a PEM `PUBLIC KEY` block, as OpenSSL and Python's `cryptography` read it.
    public var pem: String {
        let der = Data(Self.spkiPrefix + Array(publicKey.rawRepresentation))
        return "-----BEGIN PUBLIC KEY-----\n\(der.base64EncodedString())\n-----END PUBLIC KEY-----\n"
    }

    /// Reads a PEM `PUBLIC KEY` block or a bare base64 32-byte key.
    public static func parse(pemOrBase64 text: String, id: String = "") -> VerificationKey? {
        let body = text.split(separator: "\n").filter { !$0.hasPrefix("-----") }.joined()
            .trimmingCharacters(in: .whitespacesAndNewlines)
        guard let data = Data(base64Encoded: body) else { return nil }
        var raw = Array(data)
        if raw.count == 44, Array(raw.prefix(12)) == spkiPrefix { raw.removeFirst(12) }
        guard raw.count == 32, let key = try? Curve25519.Signing.PublicKey(rawRepresentation: raw) else { return nil }
        return VerificationKey(id: id, accountId: nil, publicKey: key)
    }
}
