import Foundation
import TollgateDomain
import TollgateFormats

/// A machine token refused at a route: it expired, or something revoked it (its license was
/// suspended, revoked or moved to another policy, or its machine was deactivated).
///
/// Thrown wherever a token is checked; ``ErrorMiddleware`` answers it as ``error`` (401
/// `TOKEN_EXPIRED` or `TOKEN_REVOKED` with `licenseStatus`) and hands it to the
/// ``TokenRefusalLog``, so a refusal never costs a database write on the request's path.
struct TokenRefusal: Error, Sendable {
    enum Reason: String, Sendable {
        case expired, revoked
    }

    let accountId: String
    let machineId: String
    let reason: Reason
    /// What the holder is told.
    let error: TollgateError

    static func expired(_ token: MachineToken) -> TokenRefusal {
        TokenRefusal(
            accountId: token.account, machineId: token.machine, reason: .expired,
            error: .unauthorized(code: TokenCode.tokenExpired, message: "The machine token has expired; send a heartbeat with the license key to get a new one."))
    }

    /// `token` no longer speaks for `record`: says why, with the license's status at `now`.
    static func revoked(_ token: MachineToken, record: MachineRecord, now: Date) -> TokenRefusal {
        let status = record.license.status(at: now, policy: record.policy).name
        let why = record.machine.tokenVersion != token.machineVersion ? "the machine was deactivated" : "the license is now \(status)"
        return TokenRefusal(
            accountId: token.account, machineId: token.machine, reason: .revoked,
            error: .unauthorized(
                code: TokenCode.tokenRevoked, message: "The machine token was revoked: \(why). Use the license key to learn more.", licenseStatus: status))
    }
}

extension Credential {
    /// The revocation check every route applies to a machine token: throws its refusal when the
    /// token no longer speaks for `record` (see ``MachineToken/isCurrent(machine:license:)``).
    /// Other credentials pass.
    func requireCurrent(for record: MachineRecord, now: Date) throws(TokenRefusal) {
        guard case .machine(let token) = self, !token.isCurrent(machine: record.machine, license: record.license) else { return }
        throw .revoked(token, record: record, now: now)
    }
}
