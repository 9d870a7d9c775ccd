import Foundation
import Hummingbird
import TollgateDomain
import TollgateFormats
import TollgateStore

/// `GET /v1/account`: the caller's account, the key that signs for it now, and the token that
/// asked (its id, role and what the role may do), so that a script can check which installation
/// and account a token reaches before it changes anything.
struct AccountController: Sendable {
    let store: Store
    let keys: KeyService

    /// The account as `GET /v1/account` shows it.
    struct View: Codable, Sendable {
        struct Caller: Codable, Sendable {
            var tokenId: String
            var role: Role
            var permissions: [Permission]
        }
        var id: String
        var name: String
        var createdAt: Date
        /// The id of the key that signs new licenses, tokens and answers.
        var signingKeyId: String?
        var caller: Caller
    }

    func addRoutes(to group: RouterGroup<AuthenticatedContext>) {
        group.permitting(.accountRead).get("account") { _, context in
            let accountId = context.accountId
            guard let account = try await store.read({ try await $0.accounts.find(id: accountId) }) else {
                throw TollgateError.notFound(resource: "account", id: accountId)
            }
            let signing = try? await keys.current(accountId: accountId)
            return try Response.json(
                View(
                    id: account.id, name: account.name, createdAt: account.createdAt, signingKeyId: signing?.id,
                    caller: .init(
                        tokenId: context.token.id, role: context.token.role,
                        permissions: context.token.role.permissions.sorted { $0.rawValue < $1.rawValue })))
        }
    }
}
