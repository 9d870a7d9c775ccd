import Foundation
import Hummingbird
import TollgateCore
import TollgateStore

/// The account's signing keys: list, rotate (a new key signs from now on; old keys keep
/// verifying) and retire (a key stops verifying).
struct KeyController: Sendable {
    let keys: KeyService
    let store: Store
    let clock: any TollgateClock

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
        group.get("keys") { _, context in
            let ring = keys.snapshot
            let current = ring.current(accountId: context.accountId)?.id
            return try Response.json(PageBody(data: ring.all(accountId: context.accountId).map { view($0, current: current) }, nextCursor: nil))
        }
        group.post("keys/actions/rotate") { request, context in
            _ = try await JSONBody.read(request, limit: 1024, allowedFields: [], requireBody: false)
            let now = clock.now()
            let key = try keys.rotate(accountId: context.accountId, now: now)
            let shown = view(key, current: key.id)
            try await audit(context, action: "signing_key.rotated", key: shown, now: now)
            return try Response.json(status: .created, shown)
        }
        group.post("keys/:kid/actions/retire") { request, context in
            _ = try await JSONBody.read(request, limit: 1024, allowedFields: [], requireBody: false)
            let now = clock.now()
            let kid = try context.parameters.require("kid")
            let key = try keys.retire(id: kid, accountId: context.accountId, now: now)
            let shown = view(key, current: keys.snapshot.current(accountId: context.accountId)?.id)
            try await audit(context, action: "signing_key.retired", key: shown, now: now)
            return try Response.json(shown)
        }
    }

    private func audit(_ context: AuthenticatedContext, action: String, key: View, now: Date) async throws {
        let accountId = context.accountId
        let actor = context.actor
        _ = try await store.write { session in
            try session.audit.record(
                accountId: accountId, actor: actor, action: action, objectType: "signing_key", objectId: key.kid,
                before: nil as View?, after: key, at: now)
        }
    }
}
