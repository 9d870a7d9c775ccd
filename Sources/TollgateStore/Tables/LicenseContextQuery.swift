import TollgateDomain
import TollgateFormats

/// A license with its policy, read in one statement: activations, heartbeats, checkouts and
/// leases need both, and on PostgreSQL every statement is a round trip taken while the license's
/// lock is held (measured with `scripts/bench/activation`, BENCHMARKS.md).
public struct LicenseContext: Sendable {
    public var license: License
    /// `nil` when the license names a policy that is gone.
    public var policy: Policy?
    /// Whether an active machine of the license already has the fingerprint asked about (`false`
    /// when none was asked about).
    public var fingerprintTaken: Bool
    /// The license's and the policy's documents as stored, which a write in one statement
    /// (``Store/insertMachine(_:change:ifStill:seatLimit:lock:)``) checks are unchanged.
    let documents: (license: String, policy: String?)
}

extension StoreSession {
    /// License `id` of `accountId` with its policy, and, given a `fingerprint`, whether an active
    /// machine of the license holds it (what an activation checks first). `nil` without the license.
    public func licenseContext(id: String, accountId: String, fingerprint: String? = nil) async throws -> LicenseContext? {
        var arguments: [SQLValue] = []
        var taken = ""
        if let fingerprint {
            taken = ", EXISTS (SELECT 1 FROM machines m WHERE m.license_id = l.id AND m.fingerprint = ? AND m.state = 'active') AS taken"
            arguments.append(.text(fingerprint))
        }
        guard
            let row = try await sql.queryOne(
                """
                SELECT l.data AS license, p.data AS policy\(taken)
                FROM licenses l LEFT JOIN policies p ON p.id = l.policy_id AND p.account_id = l.account_id
                WHERE l.id = ? AND l.account_id = ?
                """, arguments + [.text(id), .text(accountId)]),
            let licenseText = row.string("license")
        else { return nil }
        let license = try licenses.decode(licenseText, id: id)
        let policyText = row.string("policy")
        let policy = try policyText.map { try policies.decode($0, id: license.policyId) }
        return LicenseContext(
            license: license, policy: policy, fingerprintTaken: (row.int("taken") ?? 0) != 0,
            documents: (licenseText, policyText))
    }
}
