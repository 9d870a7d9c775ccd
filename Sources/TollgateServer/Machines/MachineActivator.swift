import Foundation
import JWTKit
import TollgateDomain
import TollgateFormats
import TollgateStore

/// Activates machines: checks the license and the limits with ``ActivationPlanner`` inside the
/// write transaction that inserts the machine (SQLite serializes writers, and on PostgreSQL the
/// transaction holds the license's lock, so the limits hold under concurrent activations), or on
/// PostgreSQL before an insert that checks again under that lock (``activateAlone(_:licenseId:accountId:actor:store:now:)``);
/// starts a cluster drain when a new cluster replaces an old one, and records everything in the
/// audit log and the event log.
enum MachineActivator {
    /// Activates `draft` on license `licenseId`. `offline` is the air-gapped request it answers.
    static func activate(
        _ draft: MachineDraft, licenseId: String, accountId: String, actor: String, offline: OfflineActivationRequest? = nil,
        session: StoreSession, now: Date
    ) async throws -> MachineRecord {
        let context = try await loadContext(licenseId, accountId: accountId, fingerprint: draft.fingerprint, session: session)
        let (license, policy) = (context.license, context.policy)
        try ActivationPlanner.requireUsable(license, policy: policy, now: now)
        let plan = try await ActivationPlanner.plan(
            fingerprintTaken: context.fingerprintTaken, cluster: draft.cluster,
            usage: ActivationPlanner.needsUsage(cluster: draft.cluster, license: license, policy: policy)
                ? try session.machines.usage(licenseId: license.id) : SeatUsage(unclustered: 0, clusters: []),
            license: license, policy: policy, now: now)
        if let drain = plan.drain {
            let ids = try await session.machines.drain(licenseId: license.id, cluster: drain.cluster, until: drain.until, at: now)
            try await ChangeLog.recordMany(
                session, accountId: accountId, actor: actor, type: "machine.draining", objectType: "machine",
                objects: try session.machines.find(ids: ids).map { ($0.id, MachineView($0, policy: policy, now: now)) }, at: now)
            if drain.until <= now { try await endDrain(ids: ids, accountId: accountId, actor: actor, session: session, now: now) }
        }
        let machine = Self.machine(draft, license: license, policy: policy, offline: offline, now: now)
        // Recorded before the insert, in the same transaction: on PostgreSQL the record then rides
        // with the insert's statement (``SQLExecutor/executeWithNext(_:_:writing:)``), one round
        // trip fewer per activation.
        try await session.changes.record(accountId: accountId, [try change(machine, actor: actor, policy: policy, offline: offline != nil, now: now)], at: now)
        try await session.machines.insert(machine)
        return MachineRecord(machine: machine, license: license, policy: policy)
    }

    /// Activates `draft` in one round trip where the store can (PostgreSQL): the license and its
    /// policy as an earlier activation read them (`contexts`; read in one statement when not
    /// there), planned here, and the machine inserted by one statement that checks, under the
    /// license's lock, that what was planned with still holds
    /// (``Store/insertMachine(_:change:ifStill:seatLimit:)``): the same documents, the fingerprint
    /// free, a seat left. A remembered context may be stale (a change through another replica,
    /// or older than the cache's two seconds), and that check is what makes it safe: a stale one
    /// is refused by the insert, forgotten, and the caller's transaction reads afresh. The
    /// transaction of ``activate(_:licenseId:accountId:actor:offline:session:now:)`` takes five
    /// round trips, which held PostgreSQL to a third of SQLite's activations (BENCHMARKS.md).
    ///
    /// Only what is certain to succeed goes this way: a machine in no cluster (a cluster may
    /// drain another, which is several statements) of a license that may activate it. `nil`
    /// otherwise, or when anything changed in between, and the caller runs the transaction, which
    /// gives the refusals their reasons.
    static func activateAlone(
        _ draft: MachineDraft, licenseId: String, accountId: String, actor: String, store: Store,
        contexts: SnapshotCache<LicenseContext>, now: Date
    ) async throws -> MachineRecord? {
        // Keyed by account too: the read is confined to the caller's account.
        let key = accountId + "/" + licenseId
        guard draft.cluster == nil,
            let context = try await contexts.value(key, generation: 0, read: {
                try await store.alone({ try await $0.licenseContext(id: licenseId, accountId: accountId) }) ?? nil
            }),
            let policy = context.policy
        else { return nil }
        let license = context.license
        // The planner's other rules for a machine in no cluster, the free fingerprint and the
        // machine limit, are checked by the insert, under the lock.
        guard (try? ActivationPlanner.requireUsable(license, policy: policy, now: now)) != nil else {
            contexts.forget(key)
            return nil
        }
        let machine = Self.machine(draft, license: license, policy: policy, offline: nil, now: now)
        let change = try change(machine, actor: actor, policy: policy, offline: false, now: now)
        let seatLimit = license.effectiveLimit(LimitCodes.maxMachines, policy: policy)?.maximum
        guard try await store.insertMachine(machine, change: change, ifStill: context, seatLimit: seatLimit) == true else {
            contexts.forget(key)
            return nil
        }
        return MachineRecord(machine: machine, license: license, policy: policy)
    }

    /// The machine `draft` becomes on `license`.
    private static func machine(_ draft: MachineDraft, license: License, policy: Policy, offline: OfflineActivationRequest?, now: Date) -> Machine {
        Machine(
            id: Identifier.make(.machine, at: now), accountId: license.accountId, licenseId: license.id, fingerprint: draft.fingerprint,
            name: draft.name, platform: draft.platform, hostname: draft.hostname, cores: draft.cores, cluster: draft.cluster,
            lastHeartbeatAt: now, deadAt: Machine.deadline(after: now, policy: policy, offline: offline != nil),
            cullWhenDead: policy.deadMachineStrategy == .deactivate, activatedOffline: offline != nil,
            offlineRequestNonce: offline?.nonce, createdAt: now, updatedAt: now)
    }

    /// The change an activation of `machine` records.
    private static func change(_ machine: Machine, actor: String, policy: Policy, offline: Bool, now: Date) throws -> ChangeTable.Change {
        try ChangeLog.change(
            actor: actor, type: offline ? "machine.activated_offline" : "machine.activated", objectType: "machine", objectId: machine.id,
            before: nil as Machine?, after: machine, state: MachineView(machine, policy: policy, now: now))
    }

    /// Deactivates the machines of a drained cluster.
    static func endDrain(ids: [String], accountId: String, actor: String, session: StoreSession, now: Date) async throws {
        try await session.machines.deactivate(ids: ids, reason: .clusterDrained, at: now)
        try await ChangeLog.recordMany(
            session, accountId: accountId, actor: actor, type: "machine.deactivated", objectType: "machine",
            objects: try session.machines.find(ids: ids).map { ($0.id, MachineView($0, policy: nil, now: now)) }, at: now)
    }

    /// A license of the account and its policy; a missing license answers 404.
    static func loadLicense(_ licenseId: String, accountId: String, session: StoreSession) async throws -> (License, Policy) {
        let context = try await loadContext(licenseId, accountId: accountId, session: session)
        return (context.license, context.policy)
    }

    /// A license of the account with its policy (both in one statement) and, given a
    /// `fingerprint`, whether an active machine of it holds that fingerprint; a missing license or
    /// policy answers 404.
    static func loadContext(
        _ licenseId: String, accountId: String, fingerprint: String? = nil, session: StoreSession
    ) async throws -> (license: License, policy: Policy, fingerprintTaken: Bool) {
        guard let context = try await session.licenseContext(id: licenseId, accountId: accountId, fingerprint: fingerprint) else {
            throw TollgateError.notFound(resource: "license", id: licenseId)
        }
        guard let policy = context.policy else { throw TollgateError.notFound(resource: "policy", id: context.license.policyId) }
        return (context.license, policy, context.fingerprintTaken)
    }

    /// A machine of the account with its license and policy, if the credential may see it. A
    /// machine token must still be current (``Credential/requireCurrent(for:now:)``) unless
    /// `allowingRevokedToken`: only giving the seat back (deactivation) allows that.
    static func loadMachine(
        _ id: String, credential: Credential, session: StoreSession, now: Date, allowingRevokedToken: Bool = false
    ) async throws -> MachineRecord {
        guard let context = try await session.machineContext(id: id, accountId: credential.accountId) else {
            throw TollgateError.notFound(resource: "machine", id: id)
        }
        let machine = context.machine
        try credential.requireAccess(toMachine: machine)
        guard let license = context.license else { throw TollgateError.notFound(resource: "license", id: machine.licenseId) }
        guard let policy = context.policy else { throw TollgateError.notFound(resource: "policy", id: license.policyId) }
        let record = MachineRecord(machine: machine, license: license, policy: policy)
        if !allowingRevokedToken { try credential.requireCurrent(for: record, now: now) }
        return record
    }

    /// License `id` and its policy for a route under `/v1/licenses/{id}/…` that license keys and
    /// machine tokens may use: another license's answers 404, and a machine token must still be
    /// current (it is checked against its machine and this license).
    static func loadLicense(_ id: String, credential: Credential, session: StoreSession, now: Date) async throws -> (License, Policy) {
        try credential.requireAccess(toLicense: id, resource: "license", id: id)
        if case .machine(let token) = credential {
            let record = try await loadMachine(token.machine, credential: credential, session: session, now: now)
            return (record.license, record.policy)
        }
        return try await loadLicense(id, accountId: credential.accountId, session: session)
    }
}

extension TokenService {
    /// The answer to an activation or heartbeat: a fresh token when the license may run; with
    /// `usage` (asked by `scope.usage`), the license summary and the token carry it.
    func answer(for record: MachineRecord, now: Date, usage: [(code: String, used: Int64)]? = nil) async throws -> MachineAnswer {
        var summary = LicenseSummary(record.license, policy: record.policy, now: now)
        summary.usage = usage
        let code: ValidationCode =
            switch record.license.status(at: now, policy: record.policy) {
            case .active: .valid
            case .expired(inGrace: true): .inGracePeriod
            case .expired(inGrace: false): .expired
            case .suspended: .suspended
            case .revoked: .revoked
            }
        var answer = MachineAnswer(
            machine: MachineView(record.machine, policy: record.policy, now: now), license: summary,
            valid: code.isValid && record.machine.state == .active, code: code, token: nil, tokenExpiresAt: nil)
        if answer.valid {
            let claims = MachineToken(
                machine: record.machine, license: summary, accountId: record.license.accountId,
                lifetimeMinutes: record.policy.tokenLifetimeMinutes, now: now)
            answer.token = try await sign(claims)
            answer.tokenExpiresAt = claims.exp.value
        }
        return answer
    }
}
