import Foundation
import TollgateDomain
import TollgateFormats
import TollgateStore

/// The recurring job `notifications.reminders`, every ``interval``: for each active license that
/// expires within its policy's largest reminder (`renewalReminderDays`, default 30, 7 and 1
/// days), the reminder of the nearest day it has reached — once per license, expiry and day, so
/// a renewal (a new expiry) starts them again and a license issued 5 days before its end gets
/// the 7-day one only; and for each license that expired in the last ``expiredWindow``, the
/// expiry notice. The emails are made by ``NotificationPlanner/make(_:occasion:licenseId:accountId:values:session:now:)``
/// in the job's transaction.
struct RenewalReminders: JobHandler {
    let clock: any TollgateClock
    let planner: NotificationPlanner
    var kind: String { Self.kind }

    static let kind = "notifications.reminders"
    static let interval: TimeInterval = 3_600
    /// How far back an expiry still gets its notice (a server that was down catches up).
    static let expiredWindow: TimeInterval = 7 * 86_400
    /// The largest reminder a policy may ask for, in days.
    static let horizonDays = 365

    func perform(_ run: JobRun) async throws {
        let now = clock.now()
        try await run.finish { session in
            for account in try await session.accounts.all() {
                try await remind(accountId: account.id, session: session, now: now)
                try await noticeExpired(accountId: account.id, session: session, now: now)
            }
        }
    }

    func remind(accountId: String, session: StoreSession, now: Date) async throws {
        var policies: [String: Policy?] = [:]
        let horizon = now.addingTimeInterval(TimeInterval(Self.horizonDays) * 86_400)
        try await forEachExpiring(accountId: accountId, after: now, until: horizon, session: session) { license, expiresAt in
            if policies[license.policyId] == nil { policies[license.policyId] = try await session.policies.find(id: license.policyId, accountId: accountId) }
            let days = (policies[license.policyId] ?? nil)?.renewalReminderDays ?? PolicyDraft.defaultRenewalReminderDays
            let remaining = expiresAt.timeIntervalSince(now)
            guard let reached = days.filter({ remaining <= TimeInterval($0) * 86_400 }).min() else { return }
            let left = Int((remaining / 86_400).rounded(.up))
            try await planner.make(
                .renewalReminder, occasion: "renewal_reminder:\(license.id):\(expiresAt.epochMilliseconds):\(reached)", licenseId: license.id,
                accountId: accountId, values: ["days": left, "oneDay": left == 1], session: session, now: now)
        }
    }

    func noticeExpired(accountId: String, session: StoreSession, now: Date) async throws {
        try await forEachExpiring(accountId: accountId, after: now.addingTimeInterval(-Self.expiredWindow), until: now, session: session) { license, expiresAt in
            try await planner.make(
                .licenseExpired, occasion: "license_expired:\(license.id):\(expiresAt.epochMilliseconds)", licenseId: license.id, accountId: accountId,
                values: [:], session: session, now: now)
        }
    }

    /// Runs `body` for each of `accountId`'s active licenses whose expiry is after `from` and at
    /// or before `to`, 500 read at a time.
    private func forEachExpiring(
        accountId: String, after from: Date, until to: Date, session: StoreSession, _ body: (License, Date) async throws -> Void
    ) async throws {
        var after: String?
        while true {
            let batch = try await session.licenses.expiring(accountId: accountId, after: from, until: to, afterId: after, limit: 500)
            for license in batch {
                if let expiresAt = license.expiresAt { try await body(license, expiresAt) }
            }
            guard batch.count == 500, let last = batch.last?.id else { return }
            after = last
        }
    }
}
