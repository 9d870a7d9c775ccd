import Foundation
import TollgateDomain
import TollgateFormats
import TollgateStore

/// Records a heartbeat: refuses a machine token that is no longer current, brings back a dead
/// machine (or one the sweep deactivated, within the resurrection window and if a seat is
/// free), and moves the machine's deadline.
///
/// A plain beat of a live machine (the common case) is answered from a snapshot of the machine,
/// its license and policy (``SnapshotCache``) and queued for the next batch of
/// ``HeartbeatRecorder``; everything else takes a write transaction and is recorded.
struct MachineHeartbeat: Sendable {
    let store: Store
    let heartbeats: HeartbeatRecorder
    /// Machines with their license and policy, for plain beats.
    let snapshots = SnapshotCache<MachineRecord>()

    /// The machine after a beat of machine `id` by `credential`.
    func beat(_ id: String, credential: Credential, now: Date) async throws -> MachineRecord {
        if let beaten = try await plainBeat(id, credential: credential, now: now) { return beaten }
        return try await store.write(lock: .account(credential.accountId)) { session in
            try await Self.beat(machineId: id, credential: credential, session: session, now: now)
        }
    }

    /// The fast path: a live machine, a current credential, nothing to audit. `nil` for
    /// anything else.
    func plainBeat(_ id: String, credential: Credential, now: Date) async throws -> MachineRecord? {
        let store = self.store
        guard
            let record = try await snapshots.value(id, generation: store.generation.current(accountId: credential.accountId), read: {
                try await store.read { session in try? await MachineActivator.loadMachine(id, credential: credential, session: session, now: now) }
            })
        else { return nil }
        let machine = heartbeats.overlay(record.machine)
        guard machine.accountId == credential.accountId, (try? credential.requireAccess(toMachine: machine)) != nil else { return nil }
        if case .machine(let token) = credential, !token.isCurrent(machine: machine, license: record.license) { return nil }
        guard let (next, outcome) = try? MachineStateMachine.apply(.heartbeat, to: machine, policy: record.policy, now: now), outcome == .beat
        else { return nil }
        heartbeats.record(next)
        return MachineRecord(machine: next, license: record.license, policy: record.policy)
    }

    /// The write path, in the caller's transaction: the machine after the beat.
    static func beat(machineId: String, credential: Credential, session: StoreSession, now: Date) async throws -> MachineRecord {
        let record = try await MachineActivator.loadMachine(machineId, credential: credential, session: session, now: now)
        let (machine, license, policy) = (record.machine, record.license, record.policy)
        if machine.state == .deactivated, MachineStateMachine.canResurrect(machine, policy: policy, now: now) {
            // Coming back takes a seat again.
            try ActivationPlanner.requireUsable(license, policy: policy, now: now)
            let plan = try await ActivationPlanner.plan(
                fingerprintTaken: try session.machines.isTaken(fingerprint: machine.fingerprint, licenseId: license.id), cluster: machine.cluster,
                usage: try session.machines.usage(licenseId: license.id), license: license, policy: policy, now: now)
            if plan.drain != nil {
                throw TollgateError.limitExceeded(
                    code: MachineCode.clusterLimitExceeded, message: "The machine's cluster was replaced while it was dead; it cannot come back.",
                    count: policy.maxClusters ?? 1, limit: policy.maxClusters ?? 1)
            }
        }
        let (next, outcome) = try MachineStateMachine.transition(.heartbeat, of: machine, policy: policy, now: now)
        try await session.machines.update(next)
        if let action = outcome.auditAction {
            try await ChangeLog.record(
                session, accountId: machine.accountId, actor: credential.actor, type: action, objectType: "machine", objectId: machine.id,
                before: machine, after: next, state: MachineView(next, policy: policy, now: now), at: now)
        }
        return MachineRecord(machine: next, license: license, policy: policy)
    }
}
