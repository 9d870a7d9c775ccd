import Crypto
import Foundation

/// A JSON Web Key Set of Ed25519 public keys (RFC 8037: `kty` `OKP`, `crv` `Ed25519`),
/// served at `/.well-known/jwks.json`.
public struct JWKS: Codable, Sendable, Equatable {
    public struct Key: Codable, Sendable, Equatable {
        public var kty: String
        public var crv: String
        public var kid: String
        public var x: String
        public var use: String
        public var alg: String
    }

    public var keys: [Key]

    public init(keys: [VerificationKey]) {
        self.keys = keys.map {
            Key(kty: "OKP", crv: "Ed25519", kid: $0.id, x: Base64URL.encode($0.publicKey.rawRepresentation), use: "sig", alg: "EdDSA")
        }
    }

    /// The verification keys of the set; keys of other types are skipped.
    public var verificationKeys: [VerificationKey] {
        keys.compactMap { key in
            guard key.kty == "OKP", key.crv == "Ed25519", let raw = Base64URL.decode(key.x),
                let publicKey = try? Curve25519.Signing.PublicKey(rawRepresentation: raw)
            else { return nil }
            return VerificationKey(id: key.kid, accountId: nil, publicKey: publicKey)
        }
    }
}
