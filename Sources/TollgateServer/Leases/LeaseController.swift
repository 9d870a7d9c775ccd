import Foundation
import Hummingbird
import TollgateDomain
import TollgateFormats
import TollgateStore

/// Concurrency leases: `POST /v1/licenses/{id}/leases` takes one of the slots of the limit the
/// policy names as its `leaseLimit` (`concurrentExecutions` by default) for a TTL, renewable; `DELETE` returns it; an expired lease
/// frees its slot by itself (it stops counting at once, and the sweep deletes it later).
/// Counting and inserting happen in one write transaction, so the limit holds under races.
struct LeaseController: Sendable {
    let writer: ChangeWriter
    let store: Store
    let clock: any TollgateClock
    let limits: BodyLimits

    static let fields: Set<String> = ["ttlSeconds", "holder"]

    func addRoutes(to group: RouterGroup<MachineRouteContext>) {
        group.permitting(.machinesWrite).post("licenses/:id/leases") { request, context in try await take(request, context) }
        group.permitting(.licensesRead).get("licenses/:id/leases") { request, context in try await list(request, context) }
        group.permitting(.machinesWrite).post("licenses/:id/leases/:lease/actions/renew") { request, context in try await renew(request, context) }
        group.permitting(.machinesWrite).delete("licenses/:id/leases/:lease") { request, context in try await release(request, context) }
    }

    struct Body: Decodable {
        var ttlSeconds: Int?
        var holder: String?

        func ttl() throws(TollgateError) -> Int {
            try Rules.requireRange(ttlSeconds, field: "ttlSeconds", min: Lease.ttlRange.lowerBound, max: Lease.ttlRange.upperBound)
            return ttlSeconds ?? Lease.defaultTTL
        }
    }

    func take(_ request: Request, _ context: MachineRouteContext) async throws -> Response {
        let id = try context.parameters.require("id")
        let body = try await JSONBody.read(request, limit: limits.maxBodyBytes, allowedFields: Self.fields, requireBody: false)
        let fields = try body.decode(Body.self)
        let ttl = try fields.ttl()
        if let holder = fields.holder { try Rules.requireText(holder, field: "holder") }
        let credential = context.credential
        try credential.requireAccess(toLicense: id, resource: "license", id: id)
        let lease = try await writer.write(accountId: context.accountId, lock: .license(account: context.accountId, license: id)) { session, now in
            try await LeaseKeeper.take(licenseId: id, holder: fields.holder, ttl: ttl, credential: credential, session: session, now: now)
        }
        return try Response.json(status: .created, lease)
    }

    func list(_ request: Request, _ context: MachineRouteContext) async throws -> Response {
        let id = try context.parameters.require("id")
        let credential = context.credential
        try credential.requireAccess(toLicense: id, resource: "license", id: id)
        let now = clock.now()
        let leases = try await store.read { session -> [Lease] in
            _ = try await MachineActivator.loadLicense(id, credential: credential, session: session, now: now)
            return try await session.leases.live(licenseId: id, at: now)
        }
        return try Response.json(PageBody(data: leases, nextCursor: nil))
    }

    func renew(_ request: Request, _ context: MachineRouteContext) async throws -> Response {
        let (id, leaseId) = (try context.parameters.require("id"), try context.parameters.require("lease"))
        let body = try await JSONBody.read(request, limit: limits.maxBodyBytes, allowedFields: ["ttlSeconds"], requireBody: false)
        let ttl = try body.decode(Body.self).ttl()
        let credential = context.credential
        try credential.requireAccess(toLicense: id, resource: "license", id: id)
        return try Response.json(try await writer.write(accountId: context.accountId, lock: .license(account: context.accountId, license: id)) { session, now in
            try await LeaseKeeper.renew(leaseId, licenseId: id, ttl: ttl, credential: credential, session: session, now: now)
        })
    }

    func release(_ request: Request, _ context: MachineRouteContext) async throws -> Response {
        let (id, leaseId) = (try context.parameters.require("id"), try context.parameters.require("lease"))
        let (credential, now) = (context.credential, clock.now())
        try credential.requireAccess(toLicense: id, resource: "license", id: id)
        try await store.write(lock: .license(account: credential.accountId, license: id)) { session in
            try await LeaseKeeper.release(leaseId, licenseId: id, credential: credential, session: session, now: now)
        }
        return Response(status: .noContent)
    }
}
