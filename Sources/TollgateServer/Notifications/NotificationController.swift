import Foundation
import Hummingbird
import TollgateDomain
import TollgateFormats
import TollgateStore

/// `GET /v1/notifications`: the email log, newest first (filters `kind`, `customerId`,
/// `objectId`, `state`), and `GET /v1/notifications/{id}` with the email's subject, text and HTML
/// as sent. Behind `events.read`: like the event log, it shows license keys.
struct NotificationController: Sendable {
    let store: Store

    func addRoutes(to group: RouterGroup<AuthenticatedContext>) {
        let reading = group.permitting(.eventsRead)
        reading.get("notifications") { request, context in
            let page = try request.pageRequest()
            let kind = try request.queryEnum("kind", NotificationKind.self)
            let state = try request.queryEnum("state", NotificationTable.Notification.State.self)
            let (customerId, objectId, accountId) = (request.queryString("customerId"), request.queryString("objectId"), context.accountId)
            let result = try await store.read {
                try await $0.notifications.page(accountId: accountId, kind: kind, customerId: customerId, objectId: objectId, state: state, page: page)
            }
            return try Response.json(PageBody(data: result.items.map { NotificationView($0, withContent: false) }, nextCursor: result.nextCursor))
        }
        reading.get("notifications/:id") { request, context in
            let (id, accountId) = (try context.parameters.require("id"), context.accountId)
            guard let notification = try await store.read({ try await $0.notifications.find(id: id) }), notification.accountId == accountId else {
                throw TollgateError.notFound(resource: "notification", id: id)
            }
            return try Response.json(NotificationView(notification, withContent: true))
        }
    }
}

/// A notification as the API shows it; its content only on its own.
struct NotificationView: Codable, Sendable {
    var id: String
    var kind: NotificationKind
    var recipient: String
    var customerId: String?
    var objectId: String?
    var subject: String
    var state: NotificationTable.Notification.State
    var attempts: Int
    /// Why it failed or was not sent (`not sent: no SMTP configured`, …), or the last attempt's error.
    var error: String?
    var messageId: String
    var createdAt: Date
    var updatedAt: Date
    var sentAt: Date?
    var text: String?
    var html: String?

    init(_ notification: NotificationTable.Notification, withContent: Bool) {
        id = notification.id
        kind = notification.kind
        recipient = notification.recipient
        customerId = notification.customerId
        objectId = notification.objectId
        subject = notification.subject
        state = notification.state
        attempts = notification.attempts
        error = notification.error
        messageId = notification.messageId
        createdAt = notification.createdAt
        updatedAt = notification.updatedAt
        sentAt = notification.sentAt
        text = withContent ? notification.text : nil
        html = withContent ? notification.html : nil
    }
}
