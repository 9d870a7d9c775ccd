import Foundation
import HTTPTypes
import Hummingbird
import TollgateDomain
import TollgateFormats
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
    let beats: MachineHeartbeat
    let clock: any TollgateClock
    let limits: BodyLimits
    /// Licenses with their policies as activations last read them, for
    /// ``MachineActivator/activateAlone(_:licenseId:accountId:actor:store:contexts:now:)``.
    let contexts = SnapshotCache<LicenseContext>()

    static let activationFields: Set<String> = ["licenseId", "fingerprint", "name", "platform", "hostname", "cores", "cluster", "scope"]

    /// What an activation or heartbeat asks to carry: `{"usage": true}` adds each quota's usage
    /// to the answer's license and to the token.
    struct Scope: Decodable {
        var usage: Bool?
    }

    /// The usage of each quota of the record's license now, when `scope` asks for it.
    func usage(_ scope: Scope?, of record: MachineRecord, now: Date) async throws -> [(code: String, used: Int64)]? {
        guard scope?.usage == true else { return nil }
        return try await store.read { try await UsageQuotas.used(of: record.license, policy: record.policy, at: now, session: $0) }
    }

    func addRoutes(to group: RouterGroup<MachineRouteContext>, admin: RouterGroup<AuthenticatedContext>) {
        group.permitting(.machinesWrite).post("machines") { request, context in try await activate(request, context) }
        group.permitting(.machinesRead).get("machines/:id") { request, context in try await show(request, context) }
        group.permitting(.machinesDeactivate).delete("machines/:id") { request, context in try await deactivate(request, context) }
        group.permitting(.machinesWrite).post("machines/:id/heartbeat") { request, context in try await heartbeat(request, context) }
        group.permitting(.licensesRead).post("machines/:id/actions/check-out") { request, context in try await checkOutMachine(request, context) }
        group.permitting(.machinesRead).get("licenses/:id/machines") { request, context in try await listOfLicense(request, context) }
        group.permitting(.licensesRead).post("licenses/:id/actions/check-out") { request, context in try await checkOutLicense(request, context) }
        admin.permitting(.machinesRead).get("machines") { request, context in try await list(request, context) }
    }

    struct Activation: Decodable {
        var scope: Scope?
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
        // A license key activates on its own license; an API token names one. Checked before the body is read.
        let ownLicense: String?
        switch context.credential {
        case .apiToken: ownLicense = nil
        case .license(let own, _): ownLicense = own
        case .machine: throw TollgateError.forbidden(message: "A machine token cannot activate machines; use the license key.")
        }
        let body = try await JSONBody.read(request, limit: limits.maxBodyBytes, allowedFields: Self.activationFields)
        let activation = try body.decode(Activation.self)
        try activation.draft.validate()
        let licenseId: String
        if let ownLicense {
            if let id = activation.licenseId, id != ownLicense {
                throw TollgateError.invalid(field: "licenseId", message: "'licenseId' names another license than the key.")
            }
            licenseId = ownLicense
        } else {
            guard let id = activation.licenseId else {
                throw TollgateError.invalid(field: "licenseId", message: "'licenseId' is required when activating with an API token.")
            }
            licenseId = id
        }
        let (accountId, actor) = (context.accountId, context.actor)
        let (tokens, clock) = (self.tokens, self.clock)
        // Without an idempotency key (whose record commits with the change), first in one
        // statement where the store can (batched with the account's others); then, or otherwise,
        // in a transaction under the license's lock, not the account's: activations of other
        // licenses of the account go on.
        let record: MachineRecord
        if IdempotencyClaim.current == nil,
            let alone = try await MachineActivator.activateAlone(
                activation.draft, licenseId: licenseId, accountId: accountId, actor: actor, store: store, contexts: contexts, now: clock.now())
        {
            record = alone
        } else {
            record = try await writer.write(accountId: accountId, lock: .license(account: accountId, license: licenseId)) { session, now in
                try await MachineActivator.activate(activation.draft, licenseId: licenseId, accountId: accountId, actor: actor, session: session, now: now)
            }
        }
        // Signed after the machine is stored; a retry of a key whose answer was never stored
        // signs the stored record again (IdempotencyMiddleware).
        let now = clock.now()
        let usage = try await usage(activation.scope, of: record, now: now)
        return try Response.json(status: .created, raw: Data(try await tokens.answer(for: record, now: now, usage: usage).json))
    }

    func show(_ request: Request, _ context: MachineRouteContext) async throws -> Response {
        let id = try context.parameters.require("id")
        let (credential, now) = (context.credential, clock.now())
        let record = try await store.read { try await MachineActivator.loadMachine(id, credential: credential, session: $0, now: now) }
        return try Response.json(MachineView(heartbeats.overlay(record.machine), policy: record.policy, now: now))
    }

    func heartbeat(_ request: Request, _ context: MachineRouteContext) async throws -> Response {
        let id = try context.parameters.require("id")
        let body = try await JSONBody.read(request, limit: limits.maxBodyBytes, allowedFields: ["scope"], requireBody: false)
        struct Beat: Decodable { var scope: Scope? }
        // Most beats have no body: decoded only when it names a scope (the hot path).
        var scope: Scope?
        if case .object(let members) = body.object, members["scope"] != nil { scope = try body.decode(Beat.self).scope }
        let now = clock.now()
        let record = try await beats.beat(id, credential: context.credential, now: now)
        let usage = try await usage(scope, of: record, now: now)
        return try Response.json(raw: Data(try await tokens.answer(for: record, now: now, usage: usage).json))
    }

    /// Deactivation (``MachineDeactivator``).
    func deactivate(_ request: Request, _ context: MachineRouteContext) async throws -> Response {
        let id = try context.parameters.require("id")
        let (credential, now) = (context.credential, clock.now())
        let view = try await store.write(lock: .account(credential.accountId)) { session in
            try await MachineDeactivator.deactivate(id, credential: credential, session: session, now: now)
        }
        return try Response.json(view)
    }

    func checkOutMachine(_ request: Request, _ context: MachineRouteContext) async throws -> Response {
        let id = try context.parameters.require("id")
        let body = try await JSONBody.read(request, limit: limits.maxBodyBytes, allowedFields: LicenseCheckout.fields, requireBody: false)
        let options = try body.decode(LicenseCheckout.Options.self)
        let credential = context.credential
        let signingKey = try await keys.current(accountId: credential.accountId)
        return try Response.json(status: .created, try await writer.write(accountId: context.accountId) { session, now in
            try await LicenseCheckout.checkOutMachine(id, credential: credential, options: options, signingKey: signingKey, session: session, now: now)
        })
    }

    func checkOutLicense(_ request: Request, _ context: MachineRouteContext) async throws -> Response {
        let id = try context.parameters.require("id")
        let body = try await JSONBody.read(request, limit: limits.maxBodyBytes, allowedFields: LicenseCheckout.fields, requireBody: false)
        let options = try body.decode(LicenseCheckout.Options.self)
        let credential = context.credential
        try credential.requireAccess(toLicense: id, resource: "license", id: id)
        let signingKey = try await keys.current(accountId: credential.accountId)
        return try Response.json(status: .created, try await writer.write(accountId: context.accountId) { session, now in
            try await LicenseCheckout.checkOutLicense(id, credential: credential, options: options, signingKey: signingKey, session: session, now: now)
        })
    }

    func listOfLicense(_ request: Request, _ context: MachineRouteContext) async throws -> Response {
        let id = try context.parameters.require("id")
        let credential = context.credential
        try credential.requireAccess(toLicense: id, resource: "license", id: id)
        return try await list(request, accountId: context.accountId, licenseId: id) { session, now in
            _ = try await MachineActivator.loadLicense(id, credential: credential, session: session, now: now)
        }
    }

    func list(_ request: Request, _ context: AuthenticatedContext) async throws -> Response {
        try await list(request, accountId: context.accountId, licenseId: request.queryString("licenseId")) { _, _ in }
    }

    /// A page of machines; `authorize` runs first in the same read (it throws to refuse).
    private func list(
        _ request: Request, accountId: String, licenseId: String?, authorize: @escaping @Sendable (StoreSession, Date) async throws -> Void
    ) async throws -> Response {
        let page = try request.pageRequest()
        let state = try request.queryEnum("state", MachineState.self)
        let now = clock.now()
        let views = try await store.read { session -> Page<MachineView> in
            try await authorize(session, now)
            let machines = try await session.machines.list(accountId: accountId, licenseId: licenseId, state: state, page: page)
            var policies: [String: Policy?] = [:]
            return try await machines.map { machine in
                if policies[machine.licenseId] == nil {
                    var policy: Policy?
                    if let policyId = try await session.licenses.find(id: machine.licenseId, accountId: accountId)?.policyId {
                        policy = try await session.policies.find(id: policyId, accountId: accountId)
                    }
                    policies[machine.licenseId] = policy
                }
                return MachineView(heartbeats.overlay(machine), policy: policies[machine.licenseId] ?? nil, now: now)
            }
        }
        return try Response.json(PageBody(data: views.items, nextCursor: views.nextCursor))
    }
}
