import Foundation
import TollgateDomain
import TollgateFormats
import TollgateStore

/// Creates accounts: the default one on first start, and more for `tollgate accounts create`.
struct AccountProvisioner: Sendable {
    let store: Store
    let keys: KeyService
    let clock: any TollgateClock

    /// What creating an account made.
    struct Created: Sendable {
        var account: Account
        var adminToken: String
    }

    /// A new account with its signing key and an admin token (`secret`, or a generated one), all
    /// in one transaction.
    func createAccount(name: String, adminSecret: String? = nil) async throws -> Created {
        let now = clock.now()
        let created = Self.newAccount(name: name, id: nil, adminSecret: adminSecret, now: now)
        let keys = keys
        let key = try await store.write { session in
            try await Self.insert(created, session: session, now: now)
            return try await keys.rotate(accountId: created.account.id, now: now, session: session)
        }
        keys.adopt(key)
        return Created(account: created.account, adminToken: created.secret)
    }

    /// An account and its admin token, not yet stored.
    static func newAccount(name: String, id: String?, adminSecret: String?, now: Date) -> (account: Account, token: APIToken, secret: String) {
        let account = Account(id: id ?? Identifier.make(.account, at: now), name: name, createdAt: now)
        let secret = adminSecret ?? APIToken.generateSecret(role: .owner)
        let token = APIToken(
            id: Identifier.make(.token, at: now), accountId: account.id, name: "admin", role: .owner, prefix: String(secret.prefix(APIToken.prefixLength)),
            createdAt: now)
        return (account, token, secret)
    }

    static func insert(_ created: (account: Account, token: APIToken, secret: String), session: StoreSession, now: Date) async throws {
        try await session.accounts.insert(created.account)
        try await ChangeLog.record(
            session, accountId: created.account.id, actor: "system", type: "account.created", objectType: "account", objectId: created.account.id,
            before: nil as Account?, after: created.account, at: now)
        try await insert(created.token, secret: created.secret, session: session, now: now)
    }

    func ensureToken(accountId: String, secret: String, role: Role) async throws {
        let now = clock.now()
        let hash = APIToken.hash(secret: secret)
        try await store.write(lock: .account(accountId)) { session in
            guard try await session.tokens.find(secretHash: hash) == nil else { return }
            let token = APIToken(
                id: Identifier.make(.token, at: now), accountId: accountId, name: "configured", role: role,
                prefix: String(secret.prefix(APIToken.prefixLength)), createdAt: now)
            try await Self.insert(token, secret: secret, session: session, now: now)
        }
    }

    /// Stores a token under the hash of its secret, and audits it.
    private static func insert(_ token: APIToken, secret: String, session: StoreSession, now: Date) async throws {
        try await session.tokens.insert(token, secretHash: APIToken.hash(secret: secret))
        try await ChangeLog.record(
            session, accountId: token.accountId, actor: "system", type: "token.created", objectType: "token", objectId: token.id,
            before: nil as APIToken?, after: token, at: now)
    }

    /// On start: the default account (created with its key, admin token and an invitation for its
    /// first owner if the store is empty), a signing key for every account that lacks one, and the
    /// configured admin token. Returns the default account, and what to print once: the admin
    /// token if one was generated, the owner's invitation path (`/admin/join/…`) if one was made.
    func bootstrap(configuredAdminToken: String?, invitationDays: Int = 7) async throws -> (
        defaultAccount: Account, generatedToken: String?, ownerInvitation: String?
    ) {
        if let configuredAdminToken, configuredAdminToken.count < 16 {
            throw ConfigurationError("TOLLGATE_ADMIN_TOKEN must be at least 16 characters.")
        }
        // The first replica to start on an empty database creates the default account; the check
        // and the insert share one write transaction, so replicas starting together agree. With
        // keys from the environment, the account takes the id the first key names, so that the
        // keys every replica holds sign for it.
        let now = clock.now()
        let candidate = Self.newAccount(name: "Default", id: keys.snapshot.keys.first?.accountId, adminSecret: configuredAdminToken, now: now)
        let keys = keys
        // One transaction: the default account on an empty database, and a key for every account
        // without a live one (judged from the stored keys, which every replica shares).
        let invitation = try await store.write { session -> String? in
            var accounts = try await session.accounts.all()
            var invitation: String?
            if accounts.isEmpty {
                try await Self.insert(candidate, session: session, now: now)
                accounts = [candidate.account]
                invitation = try await Self.inviteOwner(of: candidate.account, days: invitationDays, session: session, now: now)
            }
            let keyed = Set(try await session.signingKeys.all().filter { $0.retiredAt == nil }.map(\.accountId))
            for account in accounts where !keyed.contains(account.id) {
                _ = try await keys.rotate(accountId: account.id, now: now, session: session)
            }
            return invitation
        }
        let createdNow = invitation != nil
        await keys.reload()
        let accounts = try await store.read { try await $0.accounts.all() }
        guard let first = accounts.first else { throw TollgateError.internal }
        if createdNow { return (first, configuredAdminToken == nil ? candidate.secret : nil, invitation) }
        if let configuredAdminToken {
            try await ensureToken(accountId: first.id, secret: configuredAdminToken, role: .owner)
        }
        return (first, nil, nil)
    }

    /// The account's first owner, invited before anyone has an address: the invitation asks for
    /// one (``UserJoiner``). Returns the invitation's path.
    static func inviteOwner(of account: Account, days: Int, session: StoreSession, now: Date) async throws -> String {
        let owner = User(
            id: Identifier.make(.user, at: now), accountId: account.id, kind: .staff, email: "", name: "Owner", role: .owner, customerId: nil, createdAt: now)
        let view = try await UserInviter.store(owner, actor: "system", links: UserInviter.Links(base: "", days: days), session: session, now: now)
        return view.invitation?.url ?? ""
    }
}
