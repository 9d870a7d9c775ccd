import Foundation
import JWTKit
import Synchronization
import TollgateDomain
import TollgateFormats

/// Signs and verifies activation tokens with the accounts' Ed25519 keys, through jwt-kit.
///
/// One jwt-kit key collection per signing key id, made on first use. A token verifies only
/// while its key is live in ``KeyService``, so retiring a key refuses its tokens at once.
///
/// Tokens this process signed or already verified are remembered (text → claims, bounded), so a
/// machine presenting the token it got at its last heartbeat costs a lookup rather than an Ed25519
/// verification. A remembered token still needs its key to be live and is still checked for expiry.
final class TokenService: Sendable {
    let keys: KeyService
    private let collections = Mutex<[String: JWTKeyCollection]>([:])
    private let known = Mutex<[String: (kid: String, token: MachineToken)]>([:])
    private let capacity = 200_000

    private func remember(_ text: String, kid: String, token: MachineToken) {
        known.withLock { known in
            if known.count >= capacity { known.removeAll(keepingCapacity: true) }
            known[text] = (kid, token)
        }
    }

    init(keys: KeyService) { self.keys = keys }

    /// Signs `token` with the current key of its account.
    func sign(_ token: MachineToken) async throws -> String {
        let key = try await keys.current(accountId: token.account)
        let collection = await collection(for: key)
        let text = try await collection.sign(token, kid: JWKIdentifier(string: key.id))
        remember(text, kid: key.id, token: token)
        return text
    }

    /// The claims of a token whose signature verifies with a live key and that has not expired
    /// at `now`. Throws ``TollgateError`` `TOKEN_INVALID` for a token that is not genuine, and
    /// ``TokenRefusal`` for an expired one (its signature verified, so its account and machine
    /// are known, and the refusal is logged). Versions are the caller's to check, with
    /// ``Credential/requireCurrent(for:now:)``: they need the stored license and machine.
    func verify(_ text: String, now: Date) async throws -> MachineToken {
        let token = try await verifySignature(text)
        guard now < token.exp.value else { throw TokenRefusal.expired(token) }
        return token
    }

    /// The claims of a token whose signature verifies with a live key, expired or not.
    private func verifySignature(_ text: String) async throws(TollgateError) -> MachineToken {
        if let hit = known.withLock({ $0[text] }), keys.verificationKey(id: hit.kid) != nil { return hit.token }
        // jwt-kit's base64url reader ignores the unused bits of a segment's last character, so
        // one token would have several spellings; only the canonical one is accepted.
        guard text.split(separator: ".", omittingEmptySubsequences: false).allSatisfy({ CanonicalBase64.decodeURL($0) != nil }),
            let kid = Self.keyId(of: text), keys.verificationKey(id: kid) != nil,
            let key = keys.snapshot.keys.first(where: { $0.id == kid })
        else { throw Self.invalid }
        let collection = await collection(for: key)
        let token: MachineToken
        do {
            token = try await collection.verify(text, as: MachineToken.self)
        } catch {
            throw Self.invalid
        }
        guard token.iss.value == MachineToken.issuer else { throw Self.invalid }
        remember(text, kid: kid, token: token)
        return token
    }

    static let invalid = TollgateError.unauthorized(code: TokenCode.tokenInvalid, message: "The machine token is not valid: malformed, altered or signed by an unknown key.")

    /// Whether `text` looks like a JWT rather than an API token.
    static func looksLikeJWT(_ text: some StringProtocol) -> Bool {
        text.hasPrefix("eyJ") && text.utf8.count(where: { $0 == UInt8(ascii: ".") }) == 2
    }

    /// The `kid` of a JWT's header.
    static func keyId(of text: String) -> String? {
        guard let header = text.split(separator: ".", maxSplits: 1).first, let data = Base64URL.decode(String(header)),
            let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        else { return nil }
        return object["kid"] as? String
    }

    private func collection(for key: SigningKey) async -> JWTKeyCollection {
        if let existing = collections.withLock({ $0[key.id] }) { return existing }
        let collection = JWTKeyCollection()
        await collection.add(
            eddsa: EdDSA.PrivateKey(backing: key.privateKey), kid: JWKIdentifier(string: key.id),
            serializer: DefaultJWTSerializer(jsonEncoder: TokenJSONEncoder()))
        return collections.withLock { collections in
            if let existing = collections[key.id] { return existing }
            collections[key.id] = collection
            return collection
        }
    }
}
