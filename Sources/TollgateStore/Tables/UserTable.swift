import Foundation
import TollgateDomain
import TollgateFormats

/// Portal users (``User``), with their password hashes and two-factor secrets in columns of their own.
public struct UserTable {
    let sql: any SQLExecutor

    /// A user and what signing in checks.
    public struct Credentials: Sendable {
        public var user: User
        /// The bcrypt hash; `nil` until the invitation is taken.
        public var passwordHash: String?
        /// The two-factor secret; `nil` until the user sets it up.
        public var totpSecret: String?
        /// The time step of the last two-factor code taken: no code of it or before is taken again.
        public var totpStep: Int64?
    }

    /// Stores a new user; ``StoreError/duplicate(_:)`` when a user of the same kind has its email.
    public func insert(_ user: User) async throws {
        try await sql.execute(
            "INSERT INTO users (id, account_id, kind, customer_id, email, created_at, data) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [.text(user.id), .text(user.accountId), .text(user.kind.rawValue), .text(user.customerId), .text(user.email.isEmpty ? nil : user.email),
             .integer(user.createdAt.epochMilliseconds), .text(try DocumentCoding.encode(user))])
    }

    /// Rewrites the user's document (and its email column).
    public func update(_ user: User) async throws {
        try await sql.execute(
            "UPDATE users SET email = ?, data = ? WHERE id = ? AND account_id = ?",
            [.text(user.email.isEmpty ? nil : user.email), .text(try DocumentCoding.encode(user)), .text(user.id), .text(user.accountId)])
    }

    /// Sets the password's hash and, when `totpSecret` is given, the two-factor secret.
    public func setSecrets(id: String, passwordHash: String?, totpSecret: String?) async throws {
        if let passwordHash { try await sql.execute("UPDATE users SET password_hash = ? WHERE id = ?", [.text(passwordHash), .text(id)]) }
        if let totpSecret { try await sql.execute("UPDATE users SET totp_secret = ? WHERE id = ?", [.text(totpSecret), .text(id)]) }
    }

    /// Takes a two-factor code of `step` for `id`: `false` when one of that step or a later one was
    /// taken already (by this request's rival too).
    public func takeStep(id: String, step: Int64) async throws -> Bool {
        try await sql.queryOne(
            "UPDATE users SET totp_step = ? WHERE id = ? AND (totp_step IS NULL OR totp_step < ?) RETURNING id", [.integer(step), .text(id), .integer(step)]
        ) != nil
    }

    /// The user `id` of `accountId`.
    public func find(id: String, accountId: String) async throws -> User? {
        try await sql.queryOne("SELECT data FROM users WHERE id = ? AND account_id = ?", [.text(id), .text(accountId)]).flatMap(Self.user)
    }

    /// The user `id` with its secrets, in any account (a session or an invitation names it).
    public func credentials(id: String) async throws -> Credentials? {
        try await sql.queryOne("SELECT data, password_hash, totp_secret, totp_step FROM users WHERE id = ?", [.text(id)]).flatMap(Self.credentials)
    }

    /// The user of `kind` who signs in with `email` (already normalized), with its secrets.
    public func credentials(kind: User.Kind, email: String) async throws -> Credentials? {
        try await sql.queryOne(
            "SELECT data, password_hash, totp_secret, totp_step FROM users WHERE kind = ? AND email = ?", [.text(kind.rawValue), .text(email)]
        ).flatMap(Self.credentials)
    }

    /// A page of `accountId`'s users of `kind` (of one customer when `customerId` is given), in id order.
    public func list(accountId: String, kind: User.Kind, customerId: String? = nil, page: PageRequest) async throws -> Page<User> {
        var arguments: [SQLValue] = [.text(accountId), .text(kind.rawValue)]
        var after = ""
        if let customerId {
            after = " AND customer_id = ?"
            arguments.append(.text(customerId))
        }
        if let cursor = page.after {
            after += " AND id > ?"
            arguments.append(.text(cursor))
        }
        var items = try await sql.query(
            "SELECT id, data FROM users WHERE account_id = ? AND kind = ?\(after) ORDER BY id LIMIT ?", arguments + [.integer(Int64(page.limit + 1))]
        ).compactMap(Self.user)
        var next: String?
        if items.count > page.limit {
            items.removeLast()
            next = items.last?.id
        }
        return Page(items: items, nextCursor: next)
    }

    /// How many of `accountId`'s staff users are active owners.
    public func activeOwners(accountId: String) async throws -> Int {
        // Roles live in the document; an account has few staff users.
        try await sql.query("SELECT data FROM users WHERE account_id = ? AND kind = 'staff'", [.text(accountId)])
            .compactMap(Self.user).filter { $0.role == .owner && $0.status == .active }.count
    }

    static func user(_ row: SQLRow) -> User? {
        row.string("data").flatMap { try? DocumentCoding.decode(User.self, from: $0) }
    }

    static func credentials(_ row: SQLRow) -> Credentials? {
        user(row).map {
            Credentials(user: $0, passwordHash: row.string("password_hash"), totpSecret: row.string("totp_secret"), totpStep: row.int("totp_step"))
        }
    }
}
