import Foundation

/// Unpadded base64url (RFC 4648 §5), as JWKS and JWTs use it.
public enum Base64URL {
    /// Encodes without padding.
    public static func encode(_ data: some DataProtocol) -> String {
        Data(data).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// Decodes the one unpadded text ``encode(_:)`` writes for some bytes; `nil` for anything
    /// else (padding, other characters, non-zero unused bits: see ``CanonicalBase64``).
    public static func decode(_ text: String) -> Data? { CanonicalBase64.decodeURL(text) }
}
