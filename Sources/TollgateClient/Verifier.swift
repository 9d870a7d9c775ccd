import Crypto
import Foundation
import TollgateFormats

/// Offline checks of everything the server signs, with the vendor's embedded keys: license keys,
/// license and machine files, machine tokens and signed validation answers.
///
/// The failure codes are the same in the Swift, Python and JavaScript SDKs, and are what the
/// shared test vectors (`sdk/vectors/vectors.json`) state as verdicts.
///
/// ```swift
/// let verifier = Verifier(keys: jwks)
/// switch verifier.licenseFile(text, now: Date(), licenseKey: key, fingerprint: fingerprint) {
/// case .success(let content): print(content.license.tier)
/// case .failure(let failure): print(failure.code)   // e.g. FILE_EXPIRED
/// }
/// ```
public struct Verifier: Sendable {
    private let keysById: [String: VerificationKey]

    public init(keys: JWKS) {
        keysById = Dictionary(keys.verificationKeys.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// The key `kid` names, if the app trusts it.
    public func key(_ kid: String) -> VerificationKey? { keysById[kid] }

    /// A license key's payload, when it is well-formed and signed by a trusted key.
    /// Codes: `KEY_MISTYPED`, `BAD_SIGNATURE`.
    public func licenseKey(_ text: String) -> Result<LicenseKey, Failure> {
        switch LicenseKey.verify(text, keys: key) {
        case .success(let key): .success(key)
        case .failure(.mistyped(let message)): .failure(Failure(code: "KEY_MISTYPED", message: message))
        case .failure(.badSignature(let message)): .failure(Failure(code: "BAD_SIGNATURE", message: message))
        }
    }

    /// A license or machine file's content at `now`. Codes: those of ``LicenseFileError/code``
    /// (`FILE_MALFORMED`, `UNKNOWN_KEY`, `BAD_SIGNATURE`, `FILE_ENCRYPTED`, `WRONG_KEY`,
    /// `WRONG_MACHINE`, `ISSUED_IN_FUTURE`, `FILE_EXPIRED`).
    public func licenseFile(_ text: String, now: Date, licenseKey: String? = nil, fingerprint: String? = nil) -> Result<LicenseFileContent, Failure> {
        LicenseFile.verify(text, now: now, licenseKey: licenseKey, fingerprint: fingerprint, keys: key).mapError {
            Failure(code: $0.code, message: $0.message)
        }
    }

    /// A machine token's claims; with `now`, an expired token is refused too.
    /// Codes: `TOKEN_MALFORMED`, `UNKNOWN_KEY`, `BAD_SIGNATURE`, `TOKEN_EXPIRED`.
    public func token(_ token: String, now: Date? = nil) -> Result<MachineTokenClaims, Failure> {
        switch MachineTokenClaims.verify(token, keys: key) {
        case .failure(.malformed): return .failure(Failure(code: "TOKEN_MALFORMED", message: "This is not a Tollgate machine token."))
        case .failure(.unknownKey(let kid)): return .failure(Failure(code: "UNKNOWN_KEY", message: "The token is signed by unknown key '\(kid)'."))
        case .failure(.badSignature): return .failure(Failure(code: "BAD_SIGNATURE", message: "The token's signature does not match its content."))
        case .success(let claims):
            if let now, now >= claims.exp { return .failure(Failure(code: "TOKEN_EXPIRED", message: "The token expired at \(claims.exp.formatted(.iso8601)).")) }
            return .success(claims)
        }
    }

    /// A validation answer, when `signature` (the `Tollgate-Signature` header) signs exactly
    /// `body` with a trusted key and the body echoes `nonce`.
    /// Codes: `NO_SIGNATURE`, `UNKNOWN_KEY`, `BAD_SIGNATURE`, `ANSWER_MALFORMED`, `NONCE_MISMATCH`.
    public func validationAnswer(body: Data, signature: String?, nonce: String) -> Result<ValidationAnswer, Failure> {
        guard let signature, let (kid, bytes) = ResponseSignature.parse(signature) else {
            return .failure(Failure(code: "NO_SIGNATURE", message: "The answer carries no Tollgate-Signature."))
        }
        guard let key = key(kid) else { return .failure(Failure(code: "UNKNOWN_KEY", message: "The answer is signed by unknown key '\(kid)'.")) }
        guard key.publicKey.isValidSignature(bytes, for: body) else {
            return .failure(Failure(code: "BAD_SIGNATURE", message: "The answer's signature does not match its body."))
        }
        guard let answer = try? LicenseFile.decoder.decode(ValidationAnswer.self, from: body) else {
            return .failure(Failure(code: "ANSWER_MALFORMED", message: "The answer is not a validation answer."))
        }
        guard answer.nonce == nonce else {
            return .failure(Failure(code: "NONCE_MISMATCH", message: "The answer does not echo this request's nonce: it is a replay."))
        }
        return .success(answer)
    }

    /// Why something did not verify: a stable code and a sentence.
    public struct Failure: Error, Sendable, Equatable {
        public var code: String
        public var message: String
    }
}

/// What the SDK reads from a signed `POST /v1/licenses/validate` answer.
public struct ValidationAnswer: Decodable, Sendable, Equatable {
    public var valid: Bool
    /// `VALID`, or why not (`SUSPENDED`, `EXPIRED`, `FINGERPRINT_SCOPE_MISMATCH`…).
    public var code: String
    public var nonce: String?
    public var serverTime: Date?
    public var license: License?

    public struct License: Decodable, Sendable, Equatable {
        public var id: String
        public var offlineGraceDays: Int?
    }
}
