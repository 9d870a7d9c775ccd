import Foundation
import TollgateDomain
import TollgateStore

/// Deactivates a machine on request: by its own token (even one no longer current: giving a seat
/// back is always allowed, the one operation where a revoked token still counts), its license
/// key, or an admin; records the change.
enum MachineDeactivator {
    /// Machine `id` after its deactivation, as the API shows it.
    static func deactivate(_ id: String, credential: Credential, session: StoreSession, now: Date) async throws -> MachineView {
        let record = try await MachineActivator.loadMachine(id, credential: credential, session: session, now: now, allowingRevokedToken: true)
        let (next, _) = try MachineStateMachine.transition(.deactivate(.requested), of: record.machine, policy: record.policy, now: now)
        try await session.machines.update(next)
        let view = MachineView(next, policy: record.policy, now: now)
        try await ChangeLog.record(
            session, accountId: next.accountId, actor: credential.actor, type: "machine.deactivated", objectType: "machine", objectId: id,
            before: record.machine, after: next, state: view, at: now)
        return view
    }
}
