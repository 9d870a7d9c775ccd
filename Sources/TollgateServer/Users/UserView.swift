import Foundation
import TollgateDomain

/// A user as the API shows it: never a password hash or a two-factor secret.
struct UserView: Codable, Sendable {
    var id: String
    var kind: User.Kind
    var email: String
    var name: String
    var role: Role?
    var customerId: String?
    var status: User.Status
    var twoFactor: Bool
    var createdAt: Date
    /// Only in the answers that make an invitation: the link to pass on, shown once.
    var invitation: InvitationLink?

    init(_ user: User, invitation: InvitationLink? = nil) {
        id = user.id
        kind = user.kind
        email = user.email
        name = user.name
        role = user.role
        customerId = user.customerId
        status = user.status
        twoFactor = user.twoFactor
        createdAt = user.createdAt
        self.invitation = invitation
    }
}

/// A one-time link that lets its user set a password, and when it stops working.
struct InvitationLink: Codable, Sendable, Equatable {
    var url: String
    var expiresAt: Date
}
