import Foundation
import Testing
@testable import TollgateDomain
import TollgateFormats

@Suite struct ActivationPlannerTests {
    let now = Fixtures.now

    func plan(_ fingerprint: String, cluster: String? = nil, machines: [Machine], policy: Policy) throws(TollgateError) -> ActivationPlanner.Plan {
        try ActivationPlanner.plan(
            fingerprintTaken: machines.contains { $0.state == .active && $0.fingerprint == fingerprint }, cluster: cluster,
            usage: SeatUsage(machines: machines), license: Fixtures.license(policy: policy), policy: policy, now: now)
    }

    @Test func theMachineLimitCountsActiveMachines() throws {
        let policy = Fixtures.machinePolicy(maxMachines: 2)
        var machines = [Fixtures.machine("a", policy: policy), Fixtures.machine("b", policy: policy)]
        #expect(throws: TollgateError.limitExceeded(code: MachineCode.machineLimitExceeded, message: "The license has 2 of 2 machines activated.", count: 2, limit: 2)) {
            try plan("c", machines: machines, policy: policy)
        }
        machines[0].state = .deactivated
        #expect(try plan("c", machines: machines, policy: policy).drain == nil)
    }

    @Test func aFingerprintIsTakenOncePerLicense() {
        let policy = Fixtures.machinePolicy()
        #expect { try plan("a", machines: [Fixtures.machine("a", policy: policy)], policy: policy) } throws: { ($0 as? TollgateError)?.code == "FINGERPRINT_TAKEN" }
    }

    @Test func aNewClusterBeyondTheLimitDrainsTheClusterThatBeatLeastRecently() throws {
        let policy = Fixtures.machinePolicy(maxMachines: 4, maxClusters: 2)
        let machines = [
            Fixtures.machine("a", policy: policy, cluster: "old", at: now.addingTimeInterval(-50)),
            Fixtures.machine("b", policy: policy, cluster: "recent", at: now.addingTimeInterval(-5)),
        ]
        let planned = try plan("c", cluster: "new", machines: machines, policy: policy)
        #expect(planned.drain?.cluster == "old")
        #expect(planned.drain?.until == now.addingTimeInterval(600))
    }

    @Test func drainingMachinesDoNotCountAgainstTheMachineLimit() throws {
        let policy = Fixtures.machinePolicy(maxMachines: 2)
        let machines = [Fixtures.machine("a", policy: policy, cluster: "blue"), Fixtures.machine("b", policy: policy, cluster: "blue")]
        #expect(try plan("c", cluster: "green", machines: machines, policy: policy).drain?.cluster == "blue")
    }

    @Test func onlyOneClusterDrainsAtATimeAndADrainingClusterTakesNoNodes() {
        let policy = Fixtures.machinePolicy()
        var draining = Fixtures.machine("a", policy: policy, cluster: "blue")
        draining.drainingUntil = now.addingTimeInterval(100)
        let machines = [draining, Fixtures.machine("b", policy: policy, cluster: "green")]
        #expect { try plan("c", cluster: "red", machines: machines, policy: policy) } throws: { ($0 as? TollgateError)?.code == "CLUSTER_LIMIT_EXCEEDED" }
        #expect { try plan("c", cluster: "blue", machines: machines, policy: policy) } throws: { ($0 as? TollgateError)?.code == "CLUSTER_DRAINING" }
    }

    @Test func nodesPerClusterAreCapped() {
        let policy = Fixtures.machinePolicy(maxMachines: nil, maxNodes: 1)
        #expect { try plan("b", cluster: "blue", machines: [Fixtures.machine("a", policy: policy, cluster: "blue")], policy: policy) } throws: {
            ($0 as? TollgateError)?.code == "NODE_LIMIT_EXCEEDED"
        }
    }

    @Test func onlyUsableLicensesActivate() {
        let policy = Fixtures.machinePolicy()
        #expect(throws: Never.self) { try ActivationPlanner.requireUsable(Fixtures.license(policy: policy), policy: policy, now: now) }
        #expect { try ActivationPlanner.requireUsable(Fixtures.license(policy: policy, state: .suspended), policy: policy, now: now) } throws: {
            ($0 as? TollgateError)?.code == "SUSPENDED"
        }
    }

    @Test func onlyALimitOrAClusterNeedsTheSeatCount() {
        let unlimited = Fixtures.machinePolicy(maxMachines: nil)
        #expect(!ActivationPlanner.needsUsage(cluster: nil, license: Fixtures.license(policy: unlimited), policy: unlimited))
        #expect(ActivationPlanner.needsUsage(cluster: "blue", license: Fixtures.license(policy: unlimited), policy: unlimited))
        let limited = Fixtures.machinePolicy(maxMachines: 3)
        #expect(ActivationPlanner.needsUsage(cluster: nil, license: Fixtures.license(policy: limited), policy: limited))
    }
}
