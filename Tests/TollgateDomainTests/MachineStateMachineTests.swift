import Foundation
import Testing
@testable import TollgateDomain
import TollgateFormats

@Suite struct MachineStateMachineTests {
    let policy = Fixtures.machinePolicy()
    let now = Fixtures.now

    @Test func aMachineIsAliveUntilItsDeadlineAndGraceThenDead() {
        let machine = Fixtures.machine("fp", policy: policy)
        #expect(machine.liveness(at: now.addingTimeInterval(89)) == .alive)
        #expect(machine.liveness(at: now.addingTimeInterval(90)) == .dead)
    }

    @Test func aHeartbeatMovesTheDeadline() throws {
        let machine = Fixtures.machine("fp", policy: policy)
        let (beaten, outcome) = try MachineStateMachine.apply(.heartbeat, to: machine, policy: policy, now: now.addingTimeInterval(60))
        #expect(outcome == .beat)
        #expect(beaten.deadAt == now.addingTimeInterval(150))
        #expect(outcome.auditAction == nil)
    }

    @Test func aHeartbeatOfADeadMachineResurrectsIt() throws {
        let machine = Fixtures.machine("fp", policy: policy)
        let (_, outcome) = try MachineStateMachine.apply(.heartbeat, to: machine, policy: policy, now: now.addingTimeInterval(100))
        #expect(outcome == .resurrected)
    }

    @Test func theSweepCullsOnlyDeadMachinesWhosePolicyDeactivatesThem() throws {
        let machine = Fixtures.machine("fp", policy: policy)
        #expect(throws: MachineTransitionError.notDead) { try MachineStateMachine.apply(.cull, to: machine, policy: policy, now: now.addingTimeInterval(10)) }
        let (culled, outcome) = try MachineStateMachine.apply(.cull, to: machine, policy: policy, now: now.addingTimeInterval(90))
        #expect(culled.state == .deactivated)
        #expect(culled.deactivationReason == .dead)
        #expect(culled.tokenVersion == machine.tokenVersion)
        #expect(outcome.auditAction == "machine.died")
        let kept = Fixtures.machine("fp", policy: Fixtures.machinePolicy(dead: .keep))
        #expect(throws: MachineTransitionError.notDead) { try MachineStateMachine.apply(.cull, to: kept, policy: policy, now: now.addingTimeInterval(900)) }
    }

    @Test func aCulledMachineComesBackOnlyWithinTheResurrectionWindowAfterItsDeath() throws {
        let (culled, _) = try MachineStateMachine.apply(.cull, to: Fixtures.machine("fp", policy: policy), policy: policy, now: now.addingTimeInterval(95))
        // Died at +90; window 300 s.
        let (back, outcome) = try MachineStateMachine.apply(.heartbeat, to: culled, policy: policy, now: now.addingTimeInterval(390))
        #expect(outcome == .resurrected)
        #expect(back.state == .active)
        #expect(back.deactivationReason == nil)
        #expect(throws: MachineTransitionError.deactivated(.dead)) {
            try MachineStateMachine.apply(.heartbeat, to: culled, policy: policy, now: now.addingTimeInterval(391))
        }
    }

    @Test func aDeactivatedMachineIsNotBroughtBackByABeat() throws {
        let (off, outcome) = try MachineStateMachine.apply(.deactivate(.requested), to: Fixtures.machine("fp", policy: policy), policy: policy, now: now)
        #expect(outcome == .deactivated(.requested))
        #expect(outcome.auditAction == "machine.deactivated")
        #expect(throws: MachineTransitionError.deactivated(.requested)) { try MachineStateMachine.apply(.heartbeat, to: off, policy: policy, now: now) }
        #expect(throws: MachineTransitionError.alreadyDeactivated) { try MachineStateMachine.apply(.deactivate(.requested), to: off, policy: policy, now: now) }
    }

    @Test func machinesActivatedOfflineOrUnderPoliciesWithoutHeartbeatsNeverDie() {
        #expect(Machine.deadline(after: now, policy: policy, offline: true) == nil)
        var relaxed = policy
        relaxed.requireHeartbeat = false
        #expect(Machine.deadline(after: now, policy: relaxed, offline: false) == nil)
    }

    @Test func transitionErrorsAnswerConflicts() {
        #expect(MachineTransitionError.alreadyDeactivated.error.code == "MACHINE_ALREADY_DEACTIVATED")
        #expect(MachineTransitionError.deactivated(.dead).error.code == "MACHINE_DEACTIVATED")
    }
}
