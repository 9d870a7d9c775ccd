import Foundation
import TollgateDomain
import TollgateFormats

/// The log of validations: who asked, when, and the answer.
public struct ValidationEventTable {
    let sql: any SQLExecutor

    /// One validation.
    public struct Event: Codable, Sendable, Equatable {
        public var id: String
        public var accountId: String?
        public var licenseId: String?
        public var code: ValidationCode
        public var valid: Bool
        public var remoteAddress: String?
        public var occurredAt: Date

        public init(id: String, accountId: String?, licenseId: String?, code: ValidationCode, valid: Bool, remoteAddress: String?, occurredAt: Date) {
            self.id = id
            self.accountId = accountId
            self.licenseId = licenseId
            self.code = code
            self.valid = valid
            self.remoteAddress = remoteAddress
            self.occurredAt = occurredAt
        }
    }

    /// Inserts in statements of up to 200 rows: one round trip per chunk on PostgreSQL. Adds
    /// them to the per-day counts by code (``DashboardTable``) in the same transaction.
    public func insert(_ events: [Event]) async throws {
        var days: [DayKey: Int64] = [:]
        for event in events {
            guard let accountId = event.accountId else { continue }
            days[DayKey(accountId: accountId, day: event.occurredAt.epochMilliseconds / 86_400_000 * 86_400_000, code: event.code.rawValue), default: 0] += 1
        }
        for (key, count) in days.sorted(by: { ($0.key.accountId, $0.key.day, $0.key.code) < ($1.key.accountId, $1.key.day, $1.key.code) }) {
            try await sql.execute(
                "INSERT INTO validation_days (account_id, day, code, count) VALUES (?, ?, ?, ?) ON CONFLICT (account_id, day, code) DO UPDATE SET count = validation_days.count + excluded.count",
                [.text(key.accountId), .integer(key.day), .text(key.code), .integer(count)])
        }
        for chunk in events.chunks(of: 200) {
            let rows = Array(repeating: "(?, ?, ?, ?, ?, ?, ?)", count: chunk.count).joined(separator: ", ")
            try await sql.execute(
                "INSERT INTO validation_events (id, account_id, license_id, code, valid, remote_address, occurred_at) VALUES \(rows)",
                chunk.flatMap { event -> [SQLValue] in
                    [.text(event.id), .text(event.accountId), .text(event.licenseId), .text(event.code.rawValue),
                     .integer(event.valid ? 1 : 0), .text(event.remoteAddress), .integer(event.occurredAt.epochMilliseconds)]
                })
        }
    }

    private struct DayKey: Hashable {
        var accountId: String
        var day: Int64
        var code: String
    }

    /// A page of a license's validations, newest first.
    public func list(licenseId: String, accountId: String, page: PageRequest) async throws -> Page<Event> {
        try await sql.newestFirst(
            "validation_events", [("license_id = ?", .text(licenseId)), ("account_id = ?", .text(accountId))], page: page, id: \.id
        ) { row -> Event? in
            guard let id = row.string("id"), let code = row.string("code").flatMap(ValidationCode.init(rawValue:)),
                let occurred = row.int("occurred_at")
            else { return nil }
            return Event(
                id: id, accountId: row.string("account_id"), licenseId: row.string("license_id"), code: code,
                valid: row.int("valid") == 1, remoteAddress: row.string("remote_address"), occurredAt: Date(epochMilliseconds: occurred))
        }
    }
}
