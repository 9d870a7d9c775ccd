import Foundation
import JWTKit
import TollgateDomain
import TollgateFormats

/// The claims of an activation token: a JWT (EdDSA, `kid` in the header) that a machine gets at
/// activation and at every heartbeat, and presents as `Authorization: Bearer <token>`.
///
/// `licenseVersion` and `machineVersion` are the license's revocation version and the machine's
/// token version when the token was issued; suspending or revoking the license, changing its
/// policy or deactivating the machine bumps one of them, and the server refuses a token whose
/// versions are no longer current.
struct MachineToken: JWTPayload, Equatable {
    static let issuer = "tollgate"

    var iss: IssuerClaim
    /// The machine id.
    var sub: SubjectClaim
    var jti: IDClaim
    var iat: IssuedAtClaim
    var exp: ExpirationClaim
    var account: String
    var license: String
    var machine: String
    var fingerprint: String
    var product: String
    var tier: String
    /// The license's status when the token was issued.
    var status: String
    var entitlements: [String]
    var limits: EffectiveLimits
    var licenseVersion: Int
    var machineVersion: Int
    /// The claims' format: 2 since limits are the vendor's codes (`limits` with `"unlimited"`,
    /// and `limitPeriods`); tokens without `ver` are version 1 (fixed limits, `null` unlimited).
    var ver: Int

    /// The claims' current format version.
    static let currentVersion = 2

    /// The claims for `machine` of the license `summary` describes (its status, tier, entitlements
    /// and limits, derived once for the answer and the token alike).
    init(machine: Machine, license summary: LicenseSummary, accountId: String, lifetimeMinutes: Int, now: Date) {
        let issued = Date(timeIntervalSince1970: now.timeIntervalSince1970.rounded(.down))
        iss = IssuerClaim(value: Self.issuer)
        sub = SubjectClaim(value: machine.id)
        jti = IDClaim(value: OfflineActivationRequest.randomNonce())
        iat = IssuedAtClaim(value: issued)
        exp = ExpirationClaim(value: issued.addingTimeInterval(TimeInterval(lifetimeMinutes * 60)))
        account = accountId
        license = summary.id
        self.machine = machine.id
        fingerprint = machine.fingerprint
        product = summary.productId
        tier = summary.tier
        status = summary.status
        entitlements = summary.entitlements
        limits = summary.limits
        licenseVersion = summary.revocationVersion
        machineVersion = machine.tokenVersion
        ver = Self.currentVersion
    }

    enum CodingKeys: String, CodingKey {
        case iss, sub, jti, iat, exp, account, license, machine, fingerprint, product, tier, status, entitlements, limits, limitPeriods
        case licenseVersion, machineVersion, ver
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        iss = try container.decode(IssuerClaim.self, forKey: .iss)
        sub = try container.decode(SubjectClaim.self, forKey: .sub)
        jti = try container.decode(IDClaim.self, forKey: .jti)
        iat = try container.decode(IssuedAtClaim.self, forKey: .iat)
        exp = try container.decode(ExpirationClaim.self, forKey: .exp)
        account = try container.decode(String.self, forKey: .account)
        license = try container.decode(String.self, forKey: .license)
        machine = try container.decode(String.self, forKey: .machine)
        fingerprint = try container.decode(String.self, forKey: .fingerprint)
        product = try container.decode(String.self, forKey: .product)
        tier = try container.decode(String.self, forKey: .tier)
        status = try container.decode(String.self, forKey: .status)
        entitlements = try container.decode([String].self, forKey: .entitlements)
        limits = try EffectiveLimits(from: container, limits: .limits, periods: .limitPeriods)
        licenseVersion = try container.decode(Int.self, forKey: .licenseVersion)
        machineVersion = try container.decode(Int.self, forKey: .machineVersion)
        ver = try container.decodeIfPresent(Int.self, forKey: .ver) ?? 1
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(iss, forKey: .iss)
        try container.encode(sub, forKey: .sub)
        try container.encode(jti, forKey: .jti)
        try container.encode(iat, forKey: .iat)
        try container.encode(exp, forKey: .exp)
        try container.encode(account, forKey: .account)
        try container.encode(license, forKey: .license)
        try container.encode(machine, forKey: .machine)
        try container.encode(fingerprint, forKey: .fingerprint)
        try container.encode(product, forKey: .product)
        try container.encode(tier, forKey: .tier)
        try container.encode(status, forKey: .status)
        try container.encode(entitlements, forKey: .entitlements)
        try limits.encode(to: &container, limits: .limits, periods: .limitPeriods)
        try container.encode(licenseVersion, forKey: .licenseVersion)
        try container.encode(machineVersion, forKey: .machineVersion)
        try container.encode(ver, forKey: .ver)
    }

    /// Expiry is checked by ``TokenService`` on the server's clock, not here.
    func verify(using algorithm: some JWTAlgorithm) async throws {}

    /// Whether the token still speaks for `machine` of `license`: nothing revoked it since it was
    /// issued. A machine the sweep culled as dead keeps its version (its token may bring it back
    /// within the resurrection window); whether the machine may run is its state's business.
    func isCurrent(machine: Machine, license: License) -> Bool {
        machine.id == self.machine && license.id == self.license && machine.tokenVersion == machineVersion
            && license.revocationVersion == licenseVersion
    }
}
