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
    var limits: [String: LimitValue]
    /// Absent from version 1 tokens.
    var limitPeriods: [String: LimitPeriod]?
    var licenseVersion: Int
    var machineVersion: Int
    /// With `scope.usage` at activation or heartbeat: each quota's meter → the current period's
    /// usage when the token was issued, as exact decimals.
    var usage: [String: Decimal]?
    /// The claims' format: 2 since limits are the vendor's codes (`limits` with `"unlimited"`,
    /// and `limitPeriods`); tokens without `ver` are version 1 (fixed limits, `null` unlimited).
    var ver: Int?

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
        limits = summary.limits.values
        limitPeriods = summary.limits.periods
        licenseVersion = summary.revocationVersion
        machineVersion = machine.tokenVersion
        usage = summary.usage.map { pairs in
            Dictionary(uniqueKeysWithValues: pairs.map { ($0.code, Decimal(string: UsageQuantity(micros: $0.used).description)!) })
        }
        ver = Self.currentVersion
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
