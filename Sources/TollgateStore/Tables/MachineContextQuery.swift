import TollgateDomain
import TollgateFormats

/// A machine with its license and the license's policy, read in one statement: heartbeats,
/// check-outs, deactivations and every route a machine token calls need all three (one round
/// trip instead of three on PostgreSQL).
public struct MachineContext: Sendable {
    public var machine: Machine
    /// `nil` when the machine names a license that is gone.
    public var license: License?
    /// `nil` when the license names a policy that is gone.
    public var policy: Policy?
}

extension StoreSession {
    /// Machine `id` of `accountId` with its license and policy; `nil` without the machine.
    public func machineContext(id: String, accountId: String) async throws -> MachineContext? {
        guard
            let row = try await sql.queryOne(
                """
                SELECT m.*, l.data AS license_data, p.data AS policy_data
                FROM machines m
                LEFT JOIN licenses l ON l.id = m.license_id AND l.account_id = m.account_id
                LEFT JOIN policies p ON p.id = l.policy_id AND p.account_id = l.account_id
                WHERE m.id = ? AND m.account_id = ?
                """, [.text(id), .text(accountId)]),
            let machine = MachineTable.machine(row)
        else { return nil }
        let license = try row.string("license_data").map { try licenses.decode($0, id: machine.licenseId) }
        // The policy joined is the license's (`p.id = l.policy_id`).
        let policy = try license.flatMap { license in try row.string("policy_data").map { try policies.decode($0, id: license.policyId) } }
        return MachineContext(machine: machine, license: license, policy: policy)
    }
}
