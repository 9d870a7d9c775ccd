import Foundation
import TollgateCore
import TollgateStore

/// Records a heartbeat: refuses a machine token that is no longer current (auditing the
/// refusal), brings back a dead machine (or one the sweep deactivated, within the resurrection
/// window and if a seat is free), and moves the machine's deadline.
enum MachineHeartbeat {
    /// The machine after the beat, or the refusal to throw once the audit entry is committed.
    static func beat(machineId: String, credential: Credential, session: StoreSession, now: Date) throws -> Result<MachineRecord, TollgateError> {
        let record = try MachineActivator.loadMachine(machineId, credential: credential, session: session)
        let (machine, license, policy) = (record.machine, record.license, record.policy)
        if let refusal = try refusal(of: credential, for: record, session: session, now: now) { return .failure(refusal) }
        if machine.state == .deactivated, MachineStateMachine.canResurrect(machine, policy: policy, now: now) {
            // Coming back takes a seat again.
            try ActivationPlanner.requireUsable(license, policy: policy, now: now)
            let plan = try ActivationPlanner.plan(
                fingerprintTaken: try session.machines.isTaken(fingerprint: machine.fingerprint, licenseId: license.id), cluster: machine.cluster,
                usage: try session.machines.usage(licenseId: license.id), license: license, policy: policy, now: now)
            if plan.drain != nil {
                throw TollgateError.limitExceeded(
                    code: "CLUSTER_LIMIT_EXCEEDED", message: "The machine's cluster was replaced while it was dead; it cannot come back.",
                    count: policy.maxClusters ?? 1, limit: policy.maxClusters ?? 1)
            }
        }
        let (next, outcome) = try MachineStateMachine.transition(.heartbeat, of: machine, policy: policy, now: now)
        try session.machines.update(next)
        if let action = outcome.auditAction {
            try session.audit.record(
                accountId: machine.accountId, actor: credential.actor, action: action, objectType: "machine", objectId: machine.id,
                before: machine, after: next, at: now)
        }
        return .success(MachineRecord(machine: next, license: license, policy: policy))
    }

    /// For a machine token used on a license route: the refusal (already audited) when the token
    /// is no longer current, `nil` otherwise and for every other credential.
    static func refusal(for credential: Credential, session: StoreSession, now: Date) throws -> TollgateError? {
        guard case .machine(let token) = credential else { return nil }
        return try refusal(of: credential, for: MachineActivator.loadMachine(token.machine, credential: credential, session: session), session: session, now: now)
    }

    /// The refusal (already audited) when `credential` is a machine token that no longer speaks
    /// for `record`; `nil` when it does, and for every other credential.
    static func refusal(of credential: Credential, for record: MachineRecord, session: StoreSession, now: Date) throws -> TollgateError? {
        guard case .machine(let token) = credential, !token.isCurrent(machine: record.machine, license: record.license) else { return nil }
        return try refuse(token: token, record: record, credential: credential, session: session, now: now)
    }

    /// Audits a refused machine token and returns the error that tells its holder why.
    static func refuse(token: MachineToken, record: MachineRecord, credential: Credential, session: StoreSession, now: Date) throws -> TollgateError {
        try session.audit.record(
            accountId: record.machine.accountId, actor: credential.actor, action: "token.refused", objectType: "machine",
            objectId: record.machine.id, before: nil as Machine?, after: nil as Machine?, at: now)
        let status = record.license.status(at: now, policy: record.policy).name
        let why = record.machine.tokenVersion != token.machineVersion ? "the machine was deactivated" : "the license is now \(status)"
        return .unauthorized(
            code: "TOKEN_REVOKED", message: "The machine token was revoked: \(why). Use the license key to learn more.",
            licenseStatus: status)
    }
}
