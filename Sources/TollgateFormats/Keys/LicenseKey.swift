import Crypto
import Foundation

/// The signed license key a customer pastes into an app.
///
/// ```
/// TG1-<Crockford Base32 of: payload(41) ‖ Ed25519 signature(64) ‖ CRC-32(4)>
/// payload = version(1)=1 ‖ key id(4) ‖ license ULID(16) ‖ product ULID(16) ‖ expiry(4, big-endian
///           Unix seconds, 0 = perpetual)
/// signed message = "tollgate-license-key-v1" ‖ 0x00 ‖ payload
/// ```
///
/// 179 characters. The CRC-32 over payload and signature tells a mistyped key (checksum
/// fails: ``LicenseKeyError/mistyped``) from a forged one (checksum holds, signature fails:
/// ``LicenseKeyError/badSignature``). Decoding ignores case, hyphens and white space and
/// reads O as 0 and I/L as 1.
///
/// The expiry is the one at issue time: renewing a license changes the expiry the server
/// reports but not the key, so that customers never re-enter keys. Offline checks that need
/// the current expiry use license files.
public struct LicenseKey: Sendable, Equatable {
    public let keyId: String
    public let licenseId: String
    public let productId: String
    /// The expiry at issue time; `nil` for perpetual.
    public let expiresAt: Date?

    public static let prefix = "TG1-"
    static let version: UInt8 = 1
    static let payloadLength = 41
    static let encodedLength = payloadLength + 64 + 4
    static let signingContext = Array("tollgate-license-key-v1".utf8) + [0]

    public init(keyId: String, licenseId: String, productId: String, expiresAt: Date?) {
        self.keyId = keyId
        self.licenseId = licenseId
        self.productId = productId
        self.expiresAt = expiresAt
    }

    var payload: [UInt8] {
        var bytes: [UInt8] = [Self.version]
        bytes += SigningKey.idBytes(keyId) ?? [0, 0, 0, 0]
        bytes += Identifier.bytes(of: licenseId, kind: .license) ?? Array(repeating: 0, count: 16)
        bytes += Identifier.bytes(of: productId, kind: .product) ?? Array(repeating: 0, count: 16)
        let seconds = UInt32(clamping: Int64(expiresAt?.timeIntervalSince1970.rounded(.down) ?? 0))
        bytes += withUnsafeBytes(of: seconds.bigEndian) { Array($0) }
        return bytes
    }

    /// The key's text, signed with `signingKey` (whose id must be ``keyId``).
    public func signed(with signingKey: SigningKey) throws -> String {
        precondition(signingKey.id == keyId, "the key id must name the signing key")
        let payload = self.payload
        let signature = try signingKey.privateKey.signature(for: Self.signingContext + payload)
        var body = payload + Array(signature)
        let crc = CRC32.checksum(body)
        body += withUnsafeBytes(of: crc.bigEndian) { Array($0) }
        return Self.prefix + CrockfordBase32.encode(body)
    }

    /// Reads a key's text without checking its signature: the first half of ``verify(_:keys:)``.
    public static func decode(_ text: String) -> Result<(key: LicenseKey, message: [UInt8], signature: [UInt8]), LicenseKeyError> {
        var utf8 = Substring(text).utf8[...]
        while let first = utf8.first, isSpace(first) { utf8 = utf8.dropFirst() }
        while let last = utf8.last, isSpace(last) { utf8 = utf8.dropLast() }
        let expected = prefix.utf8
        guard utf8.count >= expected.count, zip(utf8.prefix(expected.count), expected).allSatisfy({ $0 & 0xDF == $1 & 0xDF }) else {
            return .failure(.mistyped("The key does not start with '\(prefix)'."))
        }
        guard let bytes = CrockfordBase32.decode(Substring(utf8.dropFirst(expected.count))) else {
            return .failure(.mistyped("The key holds a character that is not in the key alphabet."))
        }
        guard bytes.count == encodedLength else {
            return .failure(.mistyped("The key has the wrong length: a character is missing or extra."))
        }
        let crc = bytes[(payloadLength + 64)...].reduce(UInt32(0)) { ($0 << 8) | UInt32($1) }
        guard CRC32.checksum(bytes[0..<(payloadLength + 64)]) == crc else {
            return .failure(.mistyped("The key's checksum does not match: it was probably mistyped."))
        }
        guard bytes[0] == version else {
            return .failure(.mistyped("The key's format version \(bytes[0]) is not supported."))
        }
        let keyId = bytes[1..<5].hexString
        let licenseId = Identifier.string(kind: .license, bytes: bytes[5..<21])
        let productId = Identifier.string(kind: .product, bytes: bytes[21..<37])
        let seconds = bytes[37..<41].reduce(UInt32(0)) { ($0 << 8) | UInt32($1) }
        let key = LicenseKey(
            keyId: keyId, licenseId: licenseId, productId: productId,
            expiresAt: seconds == 0 ? nil : Date(timeIntervalSince1970: TimeInterval(seconds)))
        var message = signingContext
        message.append(contentsOf: bytes[0..<payloadLength])
        return .success((key, message, Array(bytes[payloadLength..<(payloadLength + 64)])))
    }

    private static func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 }

    /// Decodes `text` and checks its signature with the key `keys` finds for its key id.
    ///
    /// ```swift
    /// let jwks = try JSONDecoder().decode(JWKS.self, from: data)
    /// switch LicenseKey.verify(text, keys: { kid in jwks.verificationKeys.first { $0.id == kid } }) { … }
    /// ```
    public static func verify(_ text: String, keys: (String) -> VerificationKey?) -> Result<LicenseKey, LicenseKeyError> {
        switch decode(text) {
        case .failure(let error):
            return .failure(error)
        case .success(let (key, message, signature)):
            guard let verifier = keys(key.keyId) else {
                return .failure(.badSignature("The key was signed by an unknown or retired signing key '\(key.keyId)'."))
            }
            guard verifier.publicKey.isValidSignature(signature, for: message) else {
                return .failure(.badSignature("The key's signature does not verify: it was not issued by this vendor."))
            }
            return .success(key)
        }
    }
}

/// Why a license key does not verify.
public enum LicenseKeyError: Error, Sendable, Equatable {
    /// Not a well-formed key: a typo, a truncation or another kind of text.
    case mistyped(String)
    /// Well-formed, but not signed by a live key of this server.
    case badSignature(String)

    public var message: String {
        switch self {
        case .mistyped(let message), .badSignature(let message): message
        }
    }
}
