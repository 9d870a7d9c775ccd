import Foundation
import TollgateDomain
import TollgateFormats
import TollgateStore

/// The recurring job `notifications.plan`, every ``interval``: reads each account's event log
/// after its cursor and makes the emails the events call for (a license issued, suspended or
/// reinstated, a usage threshold crossed, the activation that took a license's last seat when it
/// has more than one), each once per occasion, rendered now with its
/// `Message-ID`, and a `notification.send` job for it, all in the job's transaction with the
/// cursor's move: a kill before the commit plans them again, never twice.
struct NotificationPlanner: JobHandler {
    let clock: any TollgateClock
    let templates: NotificationTemplates
    /// The start of links in emails (`TOLLGATE_PUBLIC_URL`, or the listening address).
    let linkBase: String
    var kind: String { Self.kind }

    static let kind = "notifications.plan"
    static let interval: TimeInterval = 5
    /// Events read per account and run, at most.
    static let batch = 2_000

    func perform(_ run: JobRun) async throws {
        let now = clock.now()
        try await run.finish { session in
            for accountId in try await session.notifications.accountsBehind() {
                var cursor = try await session.notifications.cursor(accountId: accountId)
                var read = 0
                while read < Self.batch {
                    let page = try await session.events.list(accountId: accountId, type: nil, objectId: nil, after: cursor, page: PageRequest(limit: 100))
                    for event in page.items { try await plan(event, session: session, now: now) }
                    guard let last = page.items.last?.sequence else { break }
                    (cursor, read) = (last, read + page.items.count)
                    if page.nextCursor == nil { break }
                }
                try await session.notifications.advance(accountId: accountId, to: cursor)
            }
        }
    }

    /// The email `event` calls for, if any.
    func plan(_ event: EventTable.Event, session: StoreSession, now: Date) async throws {
        switch event.type {
        case "license.created", "license.suspended", "license.reinstated":
            let kind: NotificationKind =
                switch event.type {
                case "license.created": .licenseIssued
                case "license.suspended": .licenseSuspended
                default: .licenseReinstated
                }
            // A license is suspended and reinstated many times: each event is its own occasion.
            let occasion = kind == .licenseIssued ? "\(kind.rawValue):\(event.objectId)" : "\(kind.rawValue):\(event.id)"
            try await make(kind, occasion: occasion, licenseId: event.objectId, accountId: event.accountId, values: [:], session: session, now: now)
        case "usage.threshold_crossed":
            guard case .object(let data)? = event.data, case .string(let meter)? = data["meter"], let threshold = Int(Self.text(data["threshold"])),
                case .string(let start)? = data["periodStart"]
            else { return }
            var values: [String: Any] = ["meter": meter, "threshold": threshold]
            for key in ["used", "limit", "period", "periodEnd"] { values[key] = Self.text(data[key]) }
            let occasion = "\(NotificationKind.usageThreshold.rawValue):\(event.objectId):\(meter):\(start):\(threshold)"
            try await make(.usageThreshold, occasion: occasion, licenseId: event.objectId, accountId: event.accountId, values: values, session: session, now: now)
        case "machine.activated", "machine.activated_offline":
            // The activation that took the license's last seat (counted when the event is read).
            guard case .object(let data)? = event.data, case .string(let licenseId)? = data["licenseId"],
                let license = try await session.licenses.find(id: licenseId, accountId: event.accountId),
                let max = try await session.policies.find(id: license.policyId, accountId: event.accountId)?.maxMachines, max > 1
            else { return }
            let usage = try await session.machines.usage(licenseId: licenseId)
            guard usage.unclustered + usage.clusters.reduce(0, { $0 + $1.nodes }) >= max else { return }
            // Of activations read together after the seats filled, only the last took the last
            // seat: the others' events would otherwise announce it too.
            guard try await session.machines.newestActive(licenseId: licenseId) == event.objectId else { return }
            try await make(
                .machineLimitReached, occasion: "\(NotificationKind.machineLimitReached.rawValue):\(event.id)", licenseId: licenseId,
                accountId: event.accountId, values: [:], session: session, now: now)
        default:
            return
        }
    }

    /// Makes the email `kind` about license `licenseId` to its customer, with the license's
    /// values and `values`; recorded as not sent (and the reason) when the customer has no
    /// usable email address or opted out of a kind that is not essential.
    func make(
        _ kind: NotificationKind, occasion: String, licenseId: String, accountId: String, values extra: [String: Any], session: StoreSession, now: Date
    ) async throws {
        guard let license = try await session.licenses.find(id: licenseId, accountId: accountId),
            let customer = try await session.customers.find(id: license.customerId, accountId: accountId)
        else { return }
        let product = try await session.products.find(id: license.productId, accountId: accountId)
        let policy = try await session.policies.find(id: license.policyId, accountId: accountId)
        let vendor = try await session.accounts.find(id: accountId)?.name ?? "Your vendor"
        var values: [String: Any] = [
            "vendor": vendor, "customer": customer.name, "product": product?.name ?? license.productId, "policy": policy?.name ?? license.policyId,
            "key": license.key, "keyPrefix": String(license.key.prefix(12)), "licenseId": license.id, "portalURL": "\(linkBase)/portal",
            "maxMachines": policy?.maxMachines.map(String.init) ?? "",
        ]
        if let expiresAt = license.expiresAt { values["expiresAt"] = Self.day(expiresAt) }
        values.merge(extra) { $1 }
        let id = Identifier.make(.notification, at: now)
        // The kinds a customer may turn off carry a link that does, without signing in.
        let unsubscribe = kind.isEssential ? nil : Secret.generate(prefix: "", length: 32)
        let unsubscribeURL = unsubscribe.map { "\(linkBase)\(Self.unsubscribePath)/\(id)/\($0)" }
        let override = try await session.notificationTemplates.find(accountId: accountId, kind: kind)
        let rendered = templates.render(kind, values, unsubscribeURL: unsubscribeURL, override: override)
        var notification = NotificationTable.Notification(
            id: id, accountId: accountId, kind: kind, occasion: occasion, recipient: customer.email ?? "", customerId: customer.id, objectId: license.id,
            subject: rendered.subject, text: rendered.text, html: rendered.html, messageId: "\(id)@\(Self.messageDomain(linkBase))", createdAt: now,
            updatedAt: now, unsubscribeURL: unsubscribeURL, unsubscribeHash: unsubscribe.map(Self.unsubscribeHash))
        if customer.email == nil {
            (notification.state, notification.error) = (.notSent, "not sent: the customer has no email address")
        } else if let email = customer.email, !MailAddress.isValid(email) {
            (notification.state, notification.error) = (.notSent, "not sent: the customer's email address cannot be sent to over SMTP")
        } else if customer.emailOptOut && !kind.isEssential {
            (notification.state, notification.error) = (.notSent, "not sent: the customer opted out of these emails")
        }
        try await insert(notification, session: session, now: now)
    }

    /// The invitation of customer user `user` to the portal, with its one-time `link`, made in the
    /// transaction that made the link (the link's secret is kept nowhere else). Each link is its
    /// own occasion.
    func invitation(of user: User, link: InvitationLink, session: StoreSession, now: Date) async throws {
        let vendor = try await session.accounts.find(id: user.accountId)?.name ?? "Your vendor"
        let values: [String: Any] = ["vendor": vendor, "name": user.name, "invitationURL": link.url, "expiresAt": Self.day(link.expiresAt)]
        let override = try await session.notificationTemplates.find(accountId: user.accountId, kind: .portalInvitation)
        let rendered = templates.render(.portalInvitation, values, unsubscribeURL: nil, override: override)
        let id = Identifier.make(.notification, at: now)
        let notification = NotificationTable.Notification(
            id: id, accountId: user.accountId, kind: .portalInvitation, occasion: "\(NotificationKind.portalInvitation.rawValue):\(id)", recipient: user.email,
            customerId: user.customerId, objectId: user.id, subject: rendered.subject, text: rendered.text, html: rendered.html,
            messageId: "\(id)@\(Self.messageDomain(linkBase))", createdAt: now, updatedAt: now)
        try await insert(notification, session: session, now: now)
    }

    /// Stores `notification` and, when it is to be sent, the job that sends it.
    func insert(_ notification: NotificationTable.Notification, session: StoreSession, now: Date) async throws {
        guard try await session.notifications.insert(notification), notification.state == .pending else { return }
        try await session.jobs.enqueue(
            JobTable.Draft(
                kind: NotificationSender.kind, accountId: notification.accountId, dedupeKey: "notification:\(notification.id)", payload: notification.id,
                maxAttempts: 8, runAt: now), at: now)
    }

    /// Where unsubscribe links point (``UnsubscribePages``).
    static let unsubscribePath = "/portal/unsubscribe"

    /// The keyed hash an unsubscribe link's secret is stored under.
    static func unsubscribeHash(_ secret: String) -> String { Secret.hash(secret, purpose: "tollgate-unsubscribe") }

    /// The domain of Message-IDs: the public URL's host.
    static func messageDomain(_ linkBase: String) -> String {
        URL(string: linkBase)?.host.flatMap { $0.isEmpty ? nil : $0 } ?? "tollgate.invalid"
    }

    /// A day as emails show it: `2027-01-31`.
    static func day(_ date: Date) -> String {
        String(ISO8601DateFormatter().string(from: date).prefix(10))
    }

    static func text(_ value: JSONValue?) -> String {
        switch value {
        case .string(let text)?: text.count >= 20 && text.contains("T") && text.hasSuffix("Z") ? String(text.prefix(10)) : text
        case .integer(let number)?: String(number)
        case .number(let number)?: number.rounded() == number && abs(number) < 1e15 ? String(Int64(number)) : String(number)
        case .bool(let flag)?: flag ? "yes" : "no"
        default: ""
        }
    }
}
