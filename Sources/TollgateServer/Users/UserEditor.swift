import Foundation
import TollgateDomain
import TollgateFormats
import TollgateStore

/// What `PATCH /v1/users/{id}` may change.
struct UserChange: Codable, Sendable {
    var name: String?
    var role: Role?
    /// `disabled` signs the user out everywhere and ends its invitation; `active` lets a disabled
    /// user who had joined sign in again.
    var status: User.Status?

    static let fields: Set<String> = ["name", "role", "status"]
}

/// Changes staff users: name, role (audited as `user.role_changed`), disabling and enabling.
/// A caller changes only users whose role it could hand out, to roles it could hand out, and the
/// account's last active owner stays one.
enum UserEditor {
    static func change(id: String, _ change: UserChange, by caller: APIToken, session: StoreSession, now: Date) async throws -> UserView {
        guard let before = try await session.users.find(id: id, accountId: caller.accountId), before.kind == .staff else {
            throw TollgateError.notFound(resource: "user", id: id)
        }
        if let role = before.role, !caller.role.mayGrant(role) {
            throw TollgateError.forbidden(code: RequestCode.permissionDenied, message: "A '\(caller.role.rawValue)' cannot change a '\(role.rawValue)'.")
        }
        var user = before
        if let name = change.name {
            let name = name.trimmingCharacters(in: .whitespaces)
            guard !name.isEmpty, name.count <= 200 else {
                throw TollgateError.invalid(code: RequestCode.invalidValue, field: "name", message: "'name' must be 1 to 200 characters.")
            }
            user.name = name
        }
        if let role = change.role {
            guard caller.role.mayGrant(role) else {
                throw TollgateError.forbidden(code: RequestCode.permissionDenied, message: "A '\(caller.role.rawValue)' cannot make a user '\(role.rawValue)'.")
            }
            user.role = role
        }
        switch change.status {
        case nil: break
        case .invited?:
            throw TollgateError.invalid(code: RequestCode.invalidValue, field: "status", message: "'status' may be set to 'active' or 'disabled'.")
        case .disabled?: user.status = .disabled
        case .active?:
            guard before.status != .invited else {
                throw TollgateError.invalid(code: RequestCode.invalidValue, field: "status", message: "An invited user becomes active by taking its invitation.")
            }
            user.status = .active
        }
        let losesOwner = before.role == .owner && before.status == .active && (user.role != .owner || user.status != .active)
        if losesOwner, try await session.users.activeOwners(accountId: caller.accountId) <= 1 {
            throw TollgateError.conflict(code: TokenCode.lastOwner, message: "This is the account's last active owner; make another owner first.")
        }
        guard user != before else { return UserView(user) }
        try await session.users.update(user)
        if user.status == .disabled {
            try await session.webSessions.deleteAll(userId: user.id)
            try await session.invitations.end(userId: user.id, at: now)
        }
        let type = before.role != user.role ? "user.role_changed" : before.status != user.status ? "user.\(user.status == .disabled ? "disabled" : "enabled")" : "user.updated"
        try await ChangeLog.record(
            session, accountId: user.accountId, actor: caller.id, type: type, objectType: "user", objectId: user.id, before: before, after: user,
            state: UserView(user), at: now)
        return UserView(user)
    }
}
