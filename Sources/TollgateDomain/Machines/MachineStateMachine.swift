import Foundation
import TollgateFormats

/// Something that happens to a machine.
public enum MachineEvent: Sendable, Equatable {
    /// The machine beat. Revives a dead machine; brings back one the sweep deactivated when it
    /// beats within the policy's resurrection window after its death.
    case heartbeat
    /// Deactivation by its owner, an admin, the end of a cluster drain or an offline receipt.
    case deactivate(DeactivationReason)
    /// The sweep found it dead and the policy deactivates dead machines.
    case cull
    /// Another cluster replaced the machine's cluster: it runs until `until`, then is deactivated.
    case drain(until: Date)
}

/// What a transition did, for the audit log.
public enum MachineOutcome: Sendable, Equatable {
    /// A heartbeat of a live machine.
    case beat
    /// A heartbeat brought a dead or culled machine back (`machine.resurrected`).
    case resurrected
    case deactivated(DeactivationReason)
    case draining

    /// The audit action, or `nil` for plain heartbeats (not audited).
    public var auditAction: String? {
        switch self {
        case .beat: nil
        case .resurrected: "machine.resurrected"
        case .deactivated(.dead): "machine.died"
        case .deactivated: "machine.deactivated"
        case .draining: "machine.draining"
        }
    }
}

/// Why an event cannot apply to a machine.
public enum MachineTransitionError: Error, Sendable, Equatable {
    /// Deactivated, and not by death within the resurrection window. 409.
    case deactivated(DeactivationReason?)
    /// Deactivating a machine that is already deactivated. 409.
    case alreadyDeactivated
    /// The sweep culls only live-state machines that are dead and whose policy deactivates them.
    case notDead

    public var error: TollgateError {
        switch self {
        case .deactivated(let reason):
            .conflict(
                code: MachineCode.machineDeactivated,
                message: "The machine was deactivated (\(reason?.rawValue ?? "requested")); activate it again.")
        case .alreadyDeactivated: .conflict(code: MachineCode.machineAlreadyDeactivated, message: "The machine is already deactivated.")
        case .notDead: .conflict(code: MachineCode.machineNotDead, message: "The machine is not dead.")
        }
    }
}

/// The machine lifecycle: `active` (alive or dead by time) and `deactivated`.
///
/// ```
/// active ──deactivate / cull / drain end──▶ deactivated
///   ▲                                            │
///   └──── heartbeat within the resurrection ─────┘  (only when culled as dead)
///         window after death
/// ```
/// Seat limits are not checked here: bringing a culled machine back takes a seat, which the
/// caller checks with ``ActivationPlanner`` before applying the heartbeat.
public enum MachineStateMachine {
    public static func apply(
        _ event: MachineEvent, to machine: Machine, policy: Policy, now: Date
    ) throws(MachineTransitionError) -> (Machine, MachineOutcome) {
        var next = machine
        next.updatedAt = now
        switch event {
        case .heartbeat:
            let outcome: MachineOutcome
            switch machine.state {
            case .active:
                outcome = machine.liveness(at: now) == .dead ? .resurrected : .beat
            case .deactivated:
                guard canResurrect(machine, policy: policy, now: now) else { throw .deactivated(machine.deactivationReason) }
                next.state = .active
                next.deactivationReason = nil
                next.deactivatedAt = nil
                outcome = .resurrected
            }
            next.lastHeartbeatAt = now
            next.deadAt = Machine.deadline(after: now, policy: policy, offline: machine.activatedOffline)
            next.cullWhenDead = policy.deadMachineStrategy == .deactivate
            return (next, outcome)
        case .deactivate(let reason):
            guard machine.state == .active else { throw .alreadyDeactivated }
            next.state = .deactivated
            next.deactivationReason = reason
            next.deactivatedAt = now
            next.tokenVersion += 1
            return (next, .deactivated(reason))
        case .cull:
            guard machine.state == .active, machine.cullWhenDead, machine.liveness(at: now) == .dead else { throw .notDead }
            next.state = .deactivated
            next.deactivationReason = .dead
            next.deactivatedAt = now
            // Death revokes nothing: the machine's token may still bring it back within the window.
            return (next, .deactivated(.dead))
        case .drain(let until):
            guard machine.state == .active else { throw .alreadyDeactivated }
            next.drainingUntil = until
            return (next, .draining)
        }
    }

    /// ``apply(_:to:policy:now:)`` with its error as the API reports it.
    public static func transition(_ event: MachineEvent, of machine: Machine, policy: Policy, now: Date) throws(TollgateError) -> (Machine, MachineOutcome) {
        do {
            return try apply(event, to: machine, policy: policy, now: now)
        } catch {
            throw error.error
        }
    }

    /// Whether a heartbeat at `now` brings back a machine the sweep deactivated as dead:
    /// within the resurrection window counted from the moment it died.
    public static func canResurrect(_ machine: Machine, policy: Policy, now: Date) -> Bool {
        guard machine.state == .deactivated, machine.deactivationReason == .dead, let diedAt = machine.deadAt else { return false }
        return now.timeIntervalSince(diedAt) <= TimeInterval(policy.resurrectionWindowSeconds)
    }
}
