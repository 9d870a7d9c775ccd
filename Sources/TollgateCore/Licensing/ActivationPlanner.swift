import Foundation

/// Decides whether a machine may take a seat of a license: the license's status, the fingerprint,
/// the machine limit, the cluster limit (with seamless migration) and the per-cluster node limit.
///
/// Pure: the caller loads the license's active machines in the same write transaction that
/// inserts the new one, so the limits hold under concurrent activations.
///
/// Clusters: once machines name clusters, a license runs in at most `maxClusters` of them (1 when
/// the policy leaves it out). When a new cluster activates and every slot is taken, the cluster
/// that beat least recently starts draining: it keeps running for the policy's
/// `clusterDrainSeconds`, takes no new nodes, and no longer counts against `maxMachines`, so the
/// new cluster can come up beside it. Only one cluster drains at a time; a further new cluster
/// is refused until the drain ends.
public enum ActivationPlanner {
    /// What the activation must do besides inserting the machine.
    public struct Plan: Sendable, Equatable {
        /// The cluster that starts draining, and until when.
        public var drain: (cluster: String, until: Date)?

        public static func == (lhs: Plan, rhs: Plan) -> Bool {
            lhs.drain?.cluster == rhs.drain?.cluster && lhs.drain?.until == rhs.drain?.until
        }
    }

    /// Checks that `license` is in a state that may activate machines.
    public static func requireUsable(_ license: License, policy: Policy, now: Date) throws(TollgateError) {
        switch license.status(at: now, policy: policy) {
        case .active, .expired(inGrace: true): return
        case .suspended: throw .forbidden(code: "SUSPENDED", message: "The license is suspended; it cannot activate machines.")
        case .revoked: throw .forbidden(code: "REVOKED", message: "The license has been revoked; it cannot activate machines.")
        case .expired(inGrace: false): throw .forbidden(code: "EXPIRED", message: "The license has expired; it cannot activate machines.")
        }
    }

    /// Plans the activation of `draft` beside `machines` (the license's active machines).
    /// `excluding` leaves one machine out of the counts (a culled machine coming back).
    public static func plan(
        fingerprint: String, cluster: String?, machines: [Machine], license: License, policy: Policy, now: Date,
        excluding: String? = nil
    ) throws(TollgateError) -> Plan {
        let active = machines.filter { $0.state == .active && $0.id != excluding }
        if active.contains(where: { $0.fingerprint == fingerprint }) {
            throw .conflict(code: "FINGERPRINT_TAKEN", message: "A machine with this fingerprint is already activated for the license.", field: "fingerprint")
        }
        var plan = Plan()
        var draining = Set(active.compactMap { $0.drainingUntil == nil ? nil : $0.cluster })
        if let cluster {
            if draining.contains(cluster) {
                throw .conflict(
                    code: "CLUSTER_DRAINING", message: "Cluster '\(cluster)' was replaced by another and is draining; it takes no new machines.",
                    field: "cluster")
            }
            let live = Set(active.compactMap { $0.drainingUntil == nil ? $0.cluster : nil })
            let maxClusters = policy.maxClusters ?? 1
            if !live.contains(cluster), live.count >= maxClusters {
                guard draining.isEmpty else {
                    throw .limitExceeded(
                        code: "CLUSTER_LIMIT_EXCEEDED",
                        message: "The license runs in \(live.count) of \(maxClusters) clusters and another is still draining; wait for the drain to end.",
                        count: live.count, limit: maxClusters)
                }
                let oldest = live.min { lastBeat(of: $0, in: active) < lastBeat(of: $1, in: active) }!
                plan.drain = (oldest, now.addingTimeInterval(TimeInterval(policy.clusterDrainSeconds)))
                draining.insert(oldest)
            }
            if let maxNodes = policy.maxNodesPerCluster {
                let nodes = active.filter { $0.cluster == cluster }.count
                if nodes >= maxNodes {
                    throw .limitExceeded(
                        code: "NODE_LIMIT_EXCEEDED", message: "Cluster '\(cluster)' has \(nodes) of \(maxNodes) nodes.", count: nodes, limit: maxNodes)
                }
            }
        }
        if let maxMachines = license.effectiveLimits(policy: policy).maxMachines {
            let counted = active.filter { machine in machine.cluster.map { !draining.contains($0) } ?? true }.count
            if counted >= maxMachines {
                throw .limitExceeded(
                    code: "MACHINE_LIMIT_EXCEEDED", message: "The license has \(counted) of \(maxMachines) machines activated.",
                    count: counted, limit: maxMachines)
            }
        }
        return plan
    }

    static func lastBeat(of cluster: String, in machines: [Machine]) -> Date {
        machines.filter { $0.cluster == cluster }.map(\.lastHeartbeatAt).max() ?? .distantPast
    }
}
