import Foundation
import TollgateDomain
import TollgateFormats
import TollgateStore

/// Records a heartbeat: refuses a machine token that is no longer current, brings back a dead
/// machine (or one the sweep deactivated, within the resurrection window and if a seat is
/// free), and moves the machine's deadline.
enum MachineHeartbeat {
    /// The machine after the beat.
    static func beat(machineId: String, credential: Credential, session: StoreSession, now: Date) throws -> MachineRecord {
        let record = try MachineActivator.loadMachine(machineId, credential: credential, session: session, now: now)
        let (machine, license, policy) = (record.machine, record.license, record.policy)
        if machine.state == .deactivated, MachineStateMachine.canResurrect(machine, policy: policy, now: now) {
            // Coming back takes a seat again.
            try ActivationPlanner.requireUsable(license, policy: policy, now: now)
            let plan = try ActivationPlanner.plan(
                fingerprintTaken: try session.machines.isTaken(fingerprint: machine.fingerprint, licenseId: license.id), cluster: machine.cluster,
                usage: try session.machines.usage(licenseId: license.id), license: license, policy: policy, now: now)
            if plan.drain != nil {
                throw TollgateError.limitExceeded(
                    code: MachineCode.clusterLimitExceeded, message: "The machine's cluster was replaced while it was dead; it cannot come back.",
                    count: policy.maxClusters ?? 1, limit: policy.maxClusters ?? 1)
            }
        }
        let (next, outcome) = try MachineStateMachine.transition(.heartbeat, of: machine, policy: policy, now: now)
        try session.machines.update(next)
        if let action = outcome.auditAction {
            try ChangeLog.record(
                session, accountId: machine.accountId, actor: credential.actor, type: action, objectType: "machine", objectId: machine.id,
                before: machine, after: next, state: MachineView(next, policy: policy, now: now), at: now)
        }
        return MachineRecord(machine: next, license: license, policy: policy)
    }
}
