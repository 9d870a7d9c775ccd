import Foundation
import Hummingbird
import TollgateDomain
import TollgateFormats
import TollgateStore

/// `GET /v1/account`: the caller's account, the key that signs for it now, and the token that
/// asked (its id, role and what the role may do), so that a script can check which installation
/// and account a token reaches before it changes anything.
///
/// `PATCH /v1/account`: what an owner sets for the whole account (`requireTwoFactor`,
/// `apiRequestsPerMinute`).
struct AccountController: Sendable {
    let store: Store
    let keys: KeyService
    let writer: ChangeWriter
    let limits: BodyLimits

    /// What `PATCH /v1/account` may change.
    struct Change: Codable, Sendable {
        var requireTwoFactor: Bool?
        var apiRequestsPerMinute: Int?
        static let fields: Set<String> = ["requireTwoFactor", "apiRequestsPerMinute"]
    }

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
        /// Whether staff must sign in to the admin portal with a two-factor code.
        var requireTwoFactor: Bool
        /// Requests per minute each API token of the account may make.
        var apiRequestsPerMinute: Int
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
            return try await show(account: account, caller: context.token)
        }
        group.permitting(.accountManage).patch("account") { request, context in
            let body = try await JSONBody.read(request, limit: limits.maxBodyBytes, allowedFields: Change.fields)
            let change = try body.decode(Change.self)
            if let perMinute = change.apiRequestsPerMinute, !Account.apiRequestsPerMinuteRange.contains(perMinute) {
                throw TollgateError.invalid(field: "apiRequestsPerMinute", message: "'apiRequestsPerMinute' is between 1 and 10000000.")
            }
            let caller = context.token
            let account = try await writer.write(accountId: caller.accountId) { session, now -> Account in
                guard let before = try await session.accounts.find(id: caller.accountId) else {
                    throw TollgateError.notFound(resource: "account", id: caller.accountId)
                }
                var after = before
                if let required = change.requireTwoFactor { after.requireTwoFactor = required }
                if let perMinute = change.apiRequestsPerMinute { after.apiRequestsPerMinute = perMinute }
                guard after != before else { return after }
                if after.requireTwoFactor != before.requireTwoFactor { try await session.accounts.setRequireTwoFactor(id: after.id, after.requireTwoFactor) }
                if after.apiRequestsPerMinute != before.apiRequestsPerMinute {
                    try await session.accounts.setAPIRequestsPerMinute(id: after.id, after.apiRequestsPerMinute)
                }
                try await ChangeLog.record(
                    session, accountId: after.id, actor: caller.id, type: "account.updated", objectType: "account", objectId: after.id,
                    before: before, after: after, at: now)
                return after
            }
            return try await show(account: account, caller: caller)
        }
    }

    func show(account: Account, caller: APIToken) async throws -> Response {
        let signing = try? await keys.current(accountId: account.id)
        return try Response.json(
            View(
                id: account.id, name: account.name, createdAt: account.createdAt, requireTwoFactor: account.requireTwoFactor,
                apiRequestsPerMinute: account.apiRequestsPerMinute, signingKeyId: signing?.id,
                caller: .init(tokenId: caller.id, role: caller.role, permissions: caller.role.permissions.sorted { $0.rawValue < $1.rawValue })))
    }
}
