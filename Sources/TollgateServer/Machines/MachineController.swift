import Foundation
import HTTPTypes
import Hummingbird
import TollgateCore
import TollgateStore

/// Machines: activation, heartbeats, deactivation, check-out and listing, for any credential
/// (a license key and a machine token see only their own license and machine), plus the
/// admin-wide list.
struct MachineController: Sendable {
    let writer: ChangeWriter
    let store: Store
    let keys: KeyService
    let tokens: TokenService
    let heartbeats: HeartbeatRecorder
    let clock: any TollgateClock
    let limits: BodyLimits
    /// Machines with their license and policy, for heartbeats (see ``SnapshotCache``).
    let snapshots = SnapshotCache<MachineRecord>()

    static let activationFields: Set<String> = ["licenseId", "fingerprint", "name", "platform", "hostname", "cores", "cluster"]

    func addRoutes(to group: RouterGroup<MachineRouteContext>, admin: RouterGroup<AuthenticatedContext>) {
        group.post("machines") { request, context in try await activate(request, context) }
        group.get("machines/:id") { request, context in try await show(request, context) }
        group.delete("machines/:id") { request, context in try await deactivate(request, context) }
        group.post("machines/:id/heartbeat") { request, context in try await heartbeat(request, context) }
        group.post("machines/:id/actions/check-out") { request, context in try await checkOutMachine(request, context) }
        group.get("licenses/:id/machines") { request, context in try await listOfLicense(request, context) }
        group.post("licenses/:id/actions/check-out") { request, context in try await checkOutLicense(request, context) }
        admin.get("machines") { request, context in try await list(request, context) }
    }

    struct Activation: Decodable {
        var licenseId: String?
        var fingerprint: String
        var name: String?
        var platform: String?
        var hostname: String?
        var cores: Int?
        var cluster: String?

        var draft: MachineDraft {
            MachineDraft(fingerprint: fingerprint, name: name, platform: platform, hostname: hostname, cores: cores, cluster: cluster)
        }
    }

    func activate(_ request: Request, _ context: MachineRouteContext) async throws -> Response {
        let body = try await JSONBody.read(request, limit: limits.maxBodyBytes, allowedFields: Self.activationFields)
        let activation = try body.decode(Activation.self)
        try activation.draft.validate()
        let licenseId: String
        switch context.credential {
        case .apiToken:
            guard let id = activation.licenseId else {
                throw TollgateError.invalid(field: "licenseId", message: "'licenseId' is required when activating with an API token.")
            }
            licenseId = id
        case .license(let own, _):
            if let id = activation.licenseId, id != own {
                throw TollgateError.invalid(field: "licenseId", message: "'licenseId' names another license than the key.")
            }
            licenseId = own
        case .machine:
            throw TollgateError.forbidden(message: "A machine token cannot activate machines; use the license key.")
        }
        let (accountId, actor) = (context.accountId, context.actor)
        let (record, status, headers) = try await writer.transact(request: request, accountId: accountId, body: body, status: .created) {
            session, now in
            try MachineActivator.activate(activation.draft, licenseId: licenseId, accountId: accountId, actor: actor, session: session, now: now)
        }
        let answer = try await tokens.answer(for: record, now: clock.now())
        return try Response.json(status: status, raw: Data(answer.json), headers: headers)
    }

    func show(_ request: Request, _ context: MachineRouteContext) async throws -> Response {
        let id = try context.parameters.require("id")
        let credential = context.credential
        let record = try await store.read { try MachineActivator.loadMachine(id, credential: credential, session: $0) }
        return try Response.json(MachineView(heartbeats.overlay(record.machine), policy: record.policy, now: clock.now()))
    }

    func heartbeat(_ request: Request, _ context: MachineRouteContext) async throws -> Response {
        let id = try context.parameters.require("id")
        _ = try await JSONBody.read(request, limit: limits.maxBodyBytes, allowedFields: [], requireBody: false)
        let credential = context.credential
        let now = clock.now()
        if let beaten = try await plainBeat(id, credential: credential, now: now) {
            return try Response.json(raw: Data(try await tokens.answer(for: beaten, now: now).json))
        }
        let result = try await store.write { session in try MachineHeartbeat.beat(machineId: id, credential: credential, session: session, now: now) }
        let record = try result.get()
        return try Response.json(raw: Data(try await tokens.answer(for: record, now: now).json))
    }

    /// The fast path of a heartbeat: a live machine, a current credential, nothing to audit.
    /// Reads from the snapshot cache and queues the beat for the next batch. Anything else
    /// (`nil`) takes the write transaction of ``MachineHeartbeat``.
    func plainBeat(_ id: String, credential: Credential, now: Date) async throws -> MachineRecord? {
        let store = self.store
        guard
            let record = try await snapshots.value(id, generation: store.generation.current, read: {
                try await store.read { session in try? MachineActivator.loadMachine(id, credential: credential, session: session) }
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

    /// Deactivation by the machine's own token (even one no longer current: giving a seat
    /// back is always allowed), its license key, or an admin.
    func deactivate(_ request: Request, _ context: MachineRouteContext) async throws -> Response {
        let id = try context.parameters.require("id")
        let (credential, now) = (context.credential, clock.now())
        let view = try await store.write { session -> MachineView in
            let record = try MachineActivator.loadMachine(id, credential: credential, session: session)
            let (next, _) = try MachineStateMachine.transition(.deactivate(.requested), of: record.machine, policy: record.policy, now: now)
            try session.machines.update(next)
            try session.audit.record(
                accountId: next.accountId, actor: credential.actor, action: "machine.deactivated", objectType: "machine", objectId: id,
                before: record.machine, after: next, at: now)
            return MachineView(next, policy: record.policy, now: now)
        }
        return try Response.json(view)
    }

    func checkOutMachine(_ request: Request, _ context: MachineRouteContext) async throws -> Response {
        let id = try context.parameters.require("id")
        let options = try await JSONBody.read(request, limit: limits.maxBodyBytes, allowedFields: LicenseCheckout.fields, requireBody: false)
            .decode(LicenseCheckout.Options.self)
        let credential = context.credential
        let signingKey = try keys.current(accountId: credential.accountId)
        let now = clock.now()
        let result = try await store.write { session -> Result<LicenseCheckout.Answer, TollgateError> in
            let record = try MachineActivator.loadMachine(id, credential: credential, session: session)
            if let refusal = try MachineHeartbeat.refusal(of: credential, for: record, session: session, now: now) { return .failure(refusal) }
            let answer = try LicenseCheckout.issue(
                license: record.license, policy: record.policy, machine: record.machine, options: options, signingKey: signingKey, now: now)
            try session.audit.record(
                accountId: record.machine.accountId, actor: credential.actor, action: "machine.checked_out", objectType: "machine", objectId: id,
                before: nil as Machine?, after: nil as Machine?, at: now)
            return .success(answer)
        }
        return try Response.json(status: .created, try result.get())
    }

    func checkOutLicense(_ request: Request, _ context: MachineRouteContext) async throws -> Response {
        let id = try context.parameters.require("id")
        let options = try await JSONBody.read(request, limit: limits.maxBodyBytes, allowedFields: LicenseCheckout.fields, requireBody: false)
            .decode(LicenseCheckout.Options.self)
        let credential = context.credential
        try credential.requireAccess(toLicense: id, resource: "license", id: id)
        let signingKey = try keys.current(accountId: credential.accountId)
        let now = clock.now()
        let result = try await store.write { session -> Result<LicenseCheckout.Answer, TollgateError> in
            if let refusal = try MachineHeartbeat.refusal(for: credential, session: session, now: now) { return .failure(refusal) }
            let (license, policy) = try MachineActivator.loadLicense(id, accountId: credential.accountId, session: session)
            let answer = try LicenseCheckout.issue(license: license, policy: policy, machine: nil, options: options, signingKey: signingKey, now: now)
            try session.audit.record(
                accountId: license.accountId, actor: credential.actor, action: "license.checked_out", objectType: "license", objectId: id,
                before: nil as License?, after: nil as License?, at: now)
            return .success(answer)
        }
        return try Response.json(status: .created, try result.get())
    }

    func listOfLicense(_ request: Request, _ context: MachineRouteContext) async throws -> Response {
        let id = try context.parameters.require("id")
        try context.credential.requireAccess(toLicense: id, resource: "license", id: id)
        return try await list(request, accountId: context.accountId, licenseId: id, requireLicense: true)
    }

    func list(_ request: Request, _ context: AuthenticatedContext) async throws -> Response {
        try await list(request, accountId: context.accountId, licenseId: request.queryString("licenseId"), requireLicense: false)
    }

    private func list(_ request: Request, accountId: String, licenseId: String?, requireLicense: Bool) async throws -> Response {
        let page = try request.pageRequest()
        let state = try request.queryEnum("state", MachineState.self)
        let now = clock.now()
        let views = try await store.read { session -> Page<MachineView> in
            if requireLicense, let licenseId, try session.licenses.find(id: licenseId, accountId: accountId) == nil {
                throw TollgateError.notFound(resource: "license", id: licenseId)
            }
            let machines = try session.machines.list(accountId: accountId, licenseId: licenseId, state: state, page: page)
            var policies: [String: Policy?] = [:]
            return try machines.map { machine in
                if policies[machine.licenseId] == nil {
                    let policyId = try session.licenses.find(id: machine.licenseId, accountId: accountId)?.policyId
                    policies[machine.licenseId] = try policyId.flatMap { try session.policies.find(id: $0, accountId: accountId) }
                }
                return MachineView(heartbeats.overlay(machine), policy: policies[machine.licenseId] ?? nil, now: now)
            }
        }
        return try Response.json(PageBody(data: views.items, nextCursor: views.nextCursor))
    }
}
