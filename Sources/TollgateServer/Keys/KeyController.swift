import Foundation
import Hummingbird
import TollgateDomain
import TollgateFormats
import TollgateStore

/// The account's signing keys: list, rotate (a new key signs from now on; old keys keep
/// verifying) and retire (a key stops verifying).
///
/// Both changes write the key table inside the transaction that audits them, through
/// ``ChangeWriter``, so they honour `Idempotency-Key`, serialize with each other (twenty retries
/// of one rotation make one key) and commit with their audit entry and event or not at all.
/// This replica uses the change at once; the others when they hear it announced (PostgreSQL
/// `NOTIFY`), at the latest within ``KeyService/refreshInterval``.
struct KeyController: Sendable {
    let keys: KeyService
    let writer: ChangeWriter

    /// A signing key as the API shows it: never the private half.
    struct View: Codable, Sendable {
        var kid: String
        var status: String
        var current: Bool
        var createdAt: Date
        var retiredAt: Date?
        var publicKeyPem: String
    }

    func view(_ key: SigningKey, current: String?) -> View {
        View(
            kid: key.id, status: key.retiredAt == nil ? "live" : "retired", current: key.id == current, createdAt: key.createdAt,
            retiredAt: key.retiredAt, publicKeyPem: VerificationKey(id: key.id, accountId: key.accountId, publicKey: key.publicKey).pem)
    }

    func addRoutes(to group: RouterGroup<AuthenticatedContext>) {
        group.permitting(.keysRead).get("keys") { _, context in
            let ring = keys.snapshot
            let current = ring.current(accountId: context.accountId)?.id
            return try Response.json(PageBody(data: ring.all(accountId: context.accountId).map { view($0, current: current) }, nextCursor: nil))
        }
        group.permitting(.keysManage).post("keys/actions/rotate") { request, context in
            _ = try await JSONBody.read(request, limit: 1024, allowedFields: [], requireBody: false)
            let (accountId, actor) = (context.accountId, context.actor)
            let shown = try await writer.write(accountId: accountId) { session, now in
                let key = try await keys.rotate(accountId: accountId, now: now, session: session)
                let shown = view(key, current: key.id)
                try await Self.audit(session, accountId: accountId, actor: actor, action: "signing_key.rotated", key: shown, now: now)
                return shown
            }
            await keys.reload()
            return try Response.json(status: .created, shown)
        }
        group.permitting(.keysManage).post("keys/:kid/actions/retire") { request, context in
            _ = try await JSONBody.read(request, limit: 1024, allowedFields: [], requireBody: false)
            let kid = try context.parameters.require("kid")
            let (accountId, actor) = (context.accountId, context.actor)
            let shown = try await writer.write(accountId: accountId) { session, now in
                let (key, current) = try await keys.retire(id: kid, accountId: accountId, now: now, session: session)
                let shown = view(key, current: current?.id)
                try await Self.audit(session, accountId: accountId, actor: actor, action: "signing_key.retired", key: shown, now: now)
                return shown
            }
            await keys.reload()
            return try Response.json(shown)
        }
    }

    private static func audit(_ session: StoreSession, accountId: String, actor: String, action: String, key: View, now: Date) async throws {
        try await ChangeLog.record(
            session, accountId: accountId, actor: actor, type: action, objectType: "signing_key", objectId: key.kid,
            before: nil as View?, after: key, at: now)
    }
}
