import Crypto
import Foundation
import TollgateFormats

/// The claims of a machine token (a compact JWS, `alg: EdDSA`), verified without a JWT library:
/// the SDK checks the Ed25519 signature over `header.payload` with the key the header's `kid`
/// names, then reads the claims. Expiry is the caller's to judge (offline, a stale token still
/// tells the tier and limits the license had).
public struct MachineTokenClaims: Decodable, Sendable, Equatable {
    public var sub: String
    public var iat: Date
    public var exp: Date
    public var account: String
    public var license: String
    public var machine: String
    public var fingerprint: String
    public var product: String
    public var tier: String
    public var status: String
    public var entitlements: [String]
    /// The limits by code (`limits` and `limitPeriods` in the token).
    public var limits: EffectiveLimits
    /// The claims' format version (`ver`; 1 when absent).
    public var version: Int

    enum CodingKeys: String, CodingKey {
        case sub, iat, exp, account, license, machine, fingerprint, product, tier, status, entitlements, limits, limitPeriods, ver
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        sub = try container.decode(String.self, forKey: .sub)
        iat = Date(timeIntervalSince1970: try container.decode(Double.self, forKey: .iat))
        exp = Date(timeIntervalSince1970: try container.decode(Double.self, forKey: .exp))
        account = try container.decode(String.self, forKey: .account)
        license = try container.decode(String.self, forKey: .license)
        machine = try container.decode(String.self, forKey: .machine)
        fingerprint = try container.decode(String.self, forKey: .fingerprint)
        product = try container.decode(String.self, forKey: .product)
        tier = try container.decode(String.self, forKey: .tier)
        status = try container.decode(String.self, forKey: .status)
        entitlements = try container.decode([String].self, forKey: .entitlements)
        limits = try EffectiveLimits(from: container, limits: .limits, periods: .limitPeriods)
        version = try container.decodeIfPresent(Int.self, forKey: .ver) ?? 1
    }

    private struct Header: Decodable {
        var alg: String
        var kid: String
    }

    /// Why a token was refused.
    public enum Failure: Error, Sendable, Equatable {
        case malformed
        case unknownKey(String)
        case badSignature
    }

    /// Verifies `token` with `keys` and returns its claims.
    public static func verify(_ token: String, keys: (String) -> VerificationKey?) -> Result<MachineTokenClaims, Failure> {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let headerData = Base64URL.decode(String(parts[0])), let payload = Base64URL.decode(String(parts[1])),
            let signature = Base64URL.decode(String(parts[2])), let header = try? JSONDecoder().decode(Header.self, from: headerData),
            header.alg == "EdDSA"
        else { return .failure(.malformed) }
        guard let key = keys(header.kid) else { return .failure(.unknownKey(header.kid)) }
        guard key.publicKey.isValidSignature(signature, for: Data(token.utf8.prefix(parts[0].utf8.count + 1 + parts[1].utf8.count))) else {
            return .failure(.badSignature)
        }
        guard let claims = try? JSONDecoder().decode(MachineTokenClaims.self, from: payload) else { return .failure(.malformed) }
        return .success(claims)
    }
}
