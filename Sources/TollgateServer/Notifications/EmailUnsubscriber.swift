import Foundation
import TollgateDomain
import TollgateStore

/// Turns off a customer's non-essential emails (`Customer.emailOptOut`) from the unsubscribe link
/// of one of them, without signing in: the link's secret, checked against its keyed hash, is
/// the credential. Recorded as `customer.updated` by the actor `unsubscribe:<notification>`.
struct EmailUnsubscriber: Sendable {
    let writer: ChangeWriter
    let store: Store

    /// Whom the link stops emails to.
    struct Target: Sendable, Codable {
        var vendor: String
        var recipient: String
        var alreadyOff: Bool
    }

    /// The link's target, or `nil` when no notification has this id and secret.
    func target(notificationId: String, secret: String) async throws -> (NotificationTable.Notification, Target)? {
        guard let notification = try await store.read({ try await $0.notifications.find(id: notificationId) }),
            let hash = notification.unsubscribeHash, Secret.equal(hash, NotificationPlanner.unsubscribeHash(secret)),
            let customerId = notification.customerId
        else { return nil }
        let accountId = notification.accountId
        let (vendor, customer) = try await store.read { session in
            (try await session.accounts.find(id: accountId)?.name, try await session.customers.find(id: customerId, accountId: accountId))
        }
        guard let customer else { return nil }
        return (notification, Target(vendor: vendor ?? "the vendor", recipient: notification.recipient, alreadyOff: customer.emailOptOut))
    }

    /// Turns the emails off; `nil` when the link is not one.
    func unsubscribe(notificationId: String, secret: String) async throws -> Target? {
        guard let (notification, target) = try await target(notificationId: notificationId, secret: secret), let customerId = notification.customerId else {
            return nil
        }
        guard !target.alreadyOff else { return target }
        let accountId = notification.accountId
        return try await writer.write(accountId: accountId) { session, now -> Target in
            guard let before = try await session.customers.find(id: customerId, accountId: accountId) else { throw TollgateError.notFound(resource: "customer", id: customerId) }
            guard !before.emailOptOut else { return target }
            var after = before
            (after.emailOptOut, after.updatedAt) = (true, now)
            try await session.customers.update(after)
            try await ChangeLog.record(
                session, accountId: accountId, actor: "unsubscribe:\(notification.id)", type: "customer.updated", objectType: "customer",
                objectId: customerId, before: before, after: after, at: now)
            return target
        }
    }
}
