import Foundation
import Metrics
import TollgateDomain
import TollgateStore

/// The job `notification.send` (payload: the notification's id): sends one email over SMTP.
/// The attempt is counted before the SMTP transaction and the email marked sent after the
/// server took it, so a kill in the middle sends it again — with the same `Message-ID`, which
/// is how a receiver (or a person) recognises the rare repeat. A job is claimed by one replica
/// at a time, so two replicas never send one email side by side. A 5xx answer fails it at once;
/// anything else is retried with the job's backoff, at most ``maxAttempts`` times. Without SMTP
/// settings it is recorded as `not sent: no SMTP configured`.
struct NotificationSender: JobHandler {
    let clock: any TollgateClock
    let settings: SMTPSettings?
    var kind: String { Self.kind }

    static let kind = "notification.send"

    func perform(_ run: JobRun) async throws {
        let id = run.job.payload
        guard let notification = try await run.store.read({ try await $0.notifications.find(id: id) }), notification.state == .pending else { return }
        guard let settings else {
            try await conclude(run, id: id, state: .notSent, error: "not sent: no SMTP configured")
            return
        }
        let message = MailMessage(
            from: settings.from, to: MailAddress(notification.recipient), subject: notification.subject, text: notification.text, html: notification.html,
            messageId: notification.messageId, date: clock.now(),
            // RFC 2369 and RFC 8058: mail clients show an unsubscribe button that POSTs to the link.
            headers: notification.unsubscribeURL.map { [("List-Unsubscribe", "<\($0)>"), ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click")] } ?? [])
        try await run.store.write(lock: .rows) { [now = clock.now()] in try await $0.notifications.countAttempt(id: id, at: now) }
        do {
            try await SMTPClient(settings: settings).send(message)
        } catch where (error as? SMTPClient.Failure)?.permanent == true || run.job.attempts >= run.job.maxAttempts {
            try await conclude(run, id: id, state: .failed, error: "\(error)")
            return
        } catch {
            let now = clock.now()
            try? await run.store.write(lock: .rows) { try await $0.notifications.noteFailure(id: id, error: "\(error)", at: now) }
            throw error
        }
        try await conclude(run, id: id, state: .sent, error: nil)
    }

    /// Ends the notification in `state` and completes the job, in one transaction.
    private func conclude(_ run: JobRun, id: String, state: NotificationTable.Notification.State, error: String?) async throws {
        let now = clock.now()
        try await run.finish { try await $0.notifications.finish(id: id, state: state, error: error, at: now) }
        Counter(label: "tollgate_notifications_total", dimensions: [("outcome", state.rawValue)]).increment()
    }
}
