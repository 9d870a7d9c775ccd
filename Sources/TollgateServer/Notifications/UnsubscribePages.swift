import Hummingbird
import TollgateDomain

/// `GET /portal/unsubscribe/{notification}/{secret}`: a page that asks before it turns the
/// customer's reminders and alerts off; `POST` to the same address turns them off (the page's
/// button, and the one-click unsubscribe of RFC 8058 that mail clients send for
/// `List-Unsubscribe-Post`). No session and no CSRF token: the link's secret is the credential.
struct UnsubscribePages: Sendable {
    let unsubscriber: EmailUnsubscriber
    let renderer: PageRenderer

    func addRoutes(to group: RouterGroup<AppRequestContext>) {
        group.get("unsubscribe/:id/:secret") { _, context in
            let (id, secret) = (try context.parameters.require("id"), try context.parameters.require("secret"))
            guard let (_, target) = try await unsubscriber.target(notificationId: id, secret: secret) else { return notFound() }
            if target.alreadyOff { return done(target) }
            return renderer.page(
                "sign-in", frame: PageFrame(portal: "portal", title: "Stop reminders and alerts"),
                [
                    "intro": "Stop renewal reminders, usage alerts and machine-limit alerts from \(target.vendor) to \(target.recipient)? "
                        + "Emails about your licenses themselves (a new key, a suspension, an expiry) still come.",
                    "action": "/portal/unsubscribe/\(id)/\(secret)", "csrf": "", "fields": [Any](), "submit": "Stop these emails",
                ])
        }
        group.post("unsubscribe/:id/:secret") { _, context in
            let (id, secret) = (try context.parameters.require("id"), try context.parameters.require("secret"))
            guard let target = try await unsubscriber.unsubscribe(notificationId: id, secret: secret) else { return notFound() }
            return done(target)
        }
    }

    func done(_ target: EmailUnsubscriber.Target) -> Response {
        renderer.page(
            "message", frame: PageFrame(portal: "portal", title: "Reminders and alerts are off"),
            ["message": "\(target.vendor) will no longer send renewal reminders or usage and machine-limit alerts to \(target.recipient)."])
    }

    func notFound() -> Response {
        renderer.page(
            "message", frame: PageFrame(portal: "portal", title: "Link not valid"),
            ["message": "This unsubscribe link is not valid. Sign in to the customer portal, or ask your vendor, to change which emails you get."],
            status: .notFound)
    }
}
