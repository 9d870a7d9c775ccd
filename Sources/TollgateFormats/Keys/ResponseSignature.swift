import Crypto
import Foundation

/// The `Tollgate-Signature` header: an Ed25519 signature over the exact response body bytes.
///
/// ```
/// Tollgate-Signature: keyid="5f1c0a9e", algorithm="ed25519", signature="<base64>"
/// ```
/// A client verifies it with the key `keyid` names in the JWKS, and checks that the body's
/// `nonce` is the one it sent, so that a replayed or forged answer is detected.
public enum ResponseSignature {
    public static let headerName = "Tollgate-Signature"

    /// The header value for `body`.
    public static func sign(_ body: some DataProtocol, with key: SigningKey) throws -> String {
        let signature = try key.privateKey.signature(for: body)
        return "keyid=\"\(key.id)\", algorithm=\"ed25519\", signature=\"\(signature.base64EncodedString())\""
    }

    /// The key id and signature in a header value.
    public static func parse(_ header: String) -> (keyId: String, signature: Data)? {
        var fields: [String: String] = [:]
        for part in header.split(separator: ",") {
            let pair = part.split(separator: "=", maxSplits: 1)
            guard pair.count == 2 else { continue }
            fields[pair[0].trimmingCharacters(in: .whitespaces)] = pair[1].trimmingCharacters(in: CharacterSet(charactersIn: "\" "))
        }
        guard fields["algorithm"] == "ed25519", let keyId = fields["keyid"], let encoded = fields["signature"],
            let signature = CanonicalBase64.decode(encoded)
        else { return nil }
        return (keyId, signature)
    }

    /// Whether `header` is a valid signature of `body` by a key `keys` knows.
    public static func verify(_ body: some DataProtocol, header: String, keys: (String) -> VerificationKey?) -> Bool {
        guard let (keyId, signature) = parse(header), let key = keys(keyId) else { return false }
        return key.publicKey.isValidSignature(signature, for: Data(body))
    }
}
