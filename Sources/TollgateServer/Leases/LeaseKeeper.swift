import Foundation
import TollgateDomain
import TollgateFormats
import TollgateStore

/// Concurrency leases, in the caller's write transaction (under the license's lock): taking one
/// of the slots of the policy's lease limit, renewing an unexpired lease, returning one.
enum LeaseKeeper {
    /// Takes a slot for `ttl` seconds; 422 `CONCURRENCY_LIMIT_EXCEEDED` when every slot is held.
    static func take(licenseId id: String, holder: String?, ttl: Int, credential: Credential, session: StoreSession, now: Date) async throws -> Lease {
        let (license, policy) = try await usableLicense(id, credential: credential, session: session, now: now)
        if let limit = license.effectiveLimit(policy.leaseLimit, policy: policy)?.maximum {
            let held = try await session.leases.live(licenseId: id, at: now).count
            if held >= limit {
                throw TollgateError.limitExceeded(
                    code: MachineCode.concurrencyLimitExceeded, message: "The license holds \(held) of \(limit) leases ('\(policy.leaseLimit)').",
                    count: held, limit: limit)
            }
        }
        var machineId: String?
        if case .machine(let token) = credential { machineId = token.machine }
        let lease = Lease(
            id: Identifier.make(.lease, at: now), accountId: license.accountId, licenseId: id, machineId: machineId, holder: holder,
            expiresAt: now.addingTimeInterval(TimeInterval(ttl)), createdAt: now)
        try await session.leases.insert(lease)
        return lease
    }

    /// Extends an unexpired lease by `ttl` seconds from now; 409 `LEASE_EXPIRED` once it expired.
    static func renew(_ leaseId: String, licenseId id: String, ttl: Int, credential: Credential, session: StoreSession, now: Date) async throws -> Lease {
        _ = try await usableLicense(id, credential: credential, session: session, now: now)
        guard var lease = try await session.leases.find(id: leaseId, licenseId: id) else { throw TollgateError.notFound(resource: "lease", id: leaseId) }
        guard lease.expiresAt > now else {
            throw TollgateError.conflict(code: MachineCode.leaseExpired, message: "The lease expired and its slot was freed; take a new one.")
        }
        lease.expiresAt = now.addingTimeInterval(TimeInterval(ttl))
        try await session.leases.setExpiry(id: leaseId, to: lease.expiresAt)
        return lease
    }

    /// Returns a lease (allowed whatever the license's state: giving back is always allowed).
    static func release(_ leaseId: String, licenseId id: String, credential: Credential, session: StoreSession, now: Date) async throws {
        _ = try await MachineActivator.loadLicense(id, credential: credential, session: session, now: now)
        guard try await session.leases.find(id: leaseId, licenseId: id) != nil else { throw TollgateError.notFound(resource: "lease", id: leaseId) }
        try await session.leases.delete(id: leaseId)
    }

    /// The license `id` and its policy if it may hold leases at `now` (403 when suspended, revoked
    /// or expired); a machine token must still be current.
    static func usableLicense(_ id: String, credential: Credential, session: StoreSession, now: Date) async throws -> (License, Policy) {
        let (license, policy) = try await MachineActivator.loadLicense(id, credential: credential, session: session, now: now)
        try ActivationPlanner.requireUsable(license, policy: policy, now: now)
        return (license, policy)
    }
}
