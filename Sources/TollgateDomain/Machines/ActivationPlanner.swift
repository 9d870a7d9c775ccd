import Foundation
import TollgateFormats

/// Decides whether a machine may take a seat of a license: the license's status, the fingerprint,
/// the machine limit, the cluster limit (with seamless migration) and the per-cluster node limit.
///
/// Pure: the caller reads the license's ``SeatUsage`` in the same write transaction that inserts
/// the new machine, or has the insert check the count again under the license's lock, so the
/// limits hold under concurrent activations.
///
/// Clusters: once machines name clusters, a license runs in at most `maxClusters` of them (1 when
/// the policy leaves it out). When a new cluster activates and every slot is taken, the cluster
/// that beat least recently starts draining: it keeps running for the policy's
/// `clusterDrainSeconds`, takes no new nodes, and no longer counts against `maxMachines`, so the
/// new cluster can come up beside it. Only one cluster drains at a time; a further new cluster
/// is refused until the drain ends.
public enum ActivationPlanner {
    /// What the activation must do besides inserting the machine.
    public struct Plan: Sendable {
        /// The cluster that starts draining, and until when.
        public var drain: (cluster: String, until: Date)?
    }

    /// Checks that `license` is in a state that may activate machines.
    public static func requireUsable(_ license: License, policy: Policy, now: Date) throws(TollgateError) {
        switch license.status(at: now, policy: policy) {
        case .active, .expired(inGrace: true): return
        case .suspended: throw .forbidden(code: LicenseCode.suspended, message: "The license is suspended; it cannot activate machines.")
        case .revoked: throw .forbidden(code: LicenseCode.revoked, message: "The license has been revoked; it cannot activate machines.")
        case .expired(inGrace: false): throw .forbidden(code: LicenseCode.expired, message: "The license has expired; it cannot activate machines.")
        }
    }

    /// Whether planning needs the license's ``SeatUsage`` at all: only a machine limit or a
    /// cluster does. An unclustered machine on an unlimited floating license needs no count, so
    /// the caller may skip reading it (the cost of a count grows with the license's machines).
    public static func needsUsage(cluster: String?, license: License, policy: Policy) -> Bool {
        cluster != nil || license.effectiveLimit(LimitCodes.maxMachines, policy: policy)?.maximum != nil
    }

    /// Plans the activation of a machine with `fingerprint` (in `cluster`) beside the license's
    /// active machines, summarized by `usage` (which may be empty when ``needsUsage(cluster:license:policy:)`` is false).
    public static func plan(
        fingerprintTaken: Bool, cluster: String?, usage: SeatUsage, license: License, policy: Policy, now: Date
    ) throws(TollgateError) -> Plan {
        if fingerprintTaken {
            throw .conflict(code: MachineCode.fingerprintTaken, message: "A machine with this fingerprint is already activated for the license.", field: "fingerprint")
        }
        var plan = Plan()
        var draining = Set(usage.clusters.filter(\.draining).map(\.name))
        if let cluster {
            if draining.contains(cluster) {
                throw .conflict(
                    code: MachineCode.clusterDraining, message: "Cluster '\(cluster)' was replaced by another and is draining; it takes no new machines.",
                    field: "cluster")
            }
            let live = usage.clusters.filter { !$0.draining }
            let maxClusters = policy.maxClusters ?? 1
            if !live.contains(where: { $0.name == cluster }), live.count >= maxClusters {
                guard draining.isEmpty else {
                    throw .limitExceeded(
                        code: MachineCode.clusterLimitExceeded,
                        message: "The license runs in \(live.count) of \(maxClusters) clusters and another is still draining; wait for the drain to end.",
                        count: live.count, limit: maxClusters)
                }
                let oldest = live.min { ($0.lastBeat, $0.name) < ($1.lastBeat, $1.name) }!
                plan.drain = (oldest.name, now.addingTimeInterval(TimeInterval(policy.clusterDrainSeconds)))
                draining.insert(oldest.name)
            }
            if let maxNodes = policy.maxNodesPerCluster {
                let nodes = usage.clusters.first { $0.name == cluster }?.nodes ?? 0
                if nodes >= maxNodes {
                    throw .limitExceeded(
                        code: MachineCode.nodeLimitExceeded, message: "Cluster '\(cluster)' has \(nodes) of \(maxNodes) nodes.", count: nodes, limit: maxNodes)
                }
            }
        }
        if let maxMachines = license.effectiveLimit(LimitCodes.maxMachines, policy: policy)?.maximum {
            let counted = usage.unclustered + usage.clusters.filter { !draining.contains($0.name) }.reduce(0) { $0 + $1.nodes }
            if counted >= maxMachines {
                throw .limitExceeded(
                    code: MachineCode.machineLimitExceeded, message: "The license has \(counted) of \(maxMachines) machines activated.",
                    count: counted, limit: maxMachines)
            }
        }
        return plan
    }
}

/// What the planner needs to know of a license's active machines: how many are in no cluster,
/// and per cluster its node count, whether it drains and when it last beat. The store computes
/// it with one aggregate query, so activation does not read every machine of a large license.
public struct SeatUsage: Sendable, Equatable {
    public struct Cluster: Sendable, Equatable {
        public var name: String
        public var nodes: Int
        public var draining: Bool
        public var lastBeat: Date

        public init(name: String, nodes: Int, draining: Bool, lastBeat: Date) {
            self.name = name
            self.nodes = nodes
            self.draining = draining
            self.lastBeat = lastBeat
        }
    }

    public var unclustered: Int
    public var clusters: [Cluster]

    public init(unclustered: Int, clusters: [Cluster]) {
        self.unclustered = unclustered
        self.clusters = clusters
    }

    /// The usage of `machines` (those not active are ignored).
    public init(machines: [Machine]) {
        let active = machines.filter { $0.state == .active }
        unclustered = active.filter { $0.cluster == nil }.count
        clusters = Dictionary(grouping: active.filter { $0.cluster != nil }, by: { $0.cluster! }).map { name, nodes in
            Cluster(name: name, nodes: nodes.count, draining: nodes.contains { $0.drainingUntil != nil }, lastBeat: nodes.map(\.lastHeartbeatAt).max()!)
        }.sorted { $0.name < $1.name }
    }
}
