import Foundation
import Hummingbird
import TollgateDomain
import TollgateFormats
import TollgateStore

/// `/admin`: the account at a glance, from roll-ups and covering indexes (``DashboardTable``):
/// licenses by status, those expiring in the next 30 days, validations per day by code over two
/// weeks, active machines per day over a month, the top meters' month so far (as of the hourly
/// snapshot). Every figure links to the list behind it; the
/// charts are SVG drawn here, with their figures in a table beside them for screen readers.
struct AdminDashboard: Sendable {
    let pages: AdminPages
    let store: Store
    let clock: any TollgateClock

    func addRoutes(to group: RouterGroup<AppRequestContext>) {
        group.get("") { request, _ in try await show(request) }
    }

    func show(_ request: Request) async throws -> Response {
        let me = try await pages.sessions.require(request, .staff)
        let role = me.user.role ?? .readOnly
        guard role.allows(.licensesRead) else {
            return pages.renderer.page("message", frame: pages.frame(me, title: "Dashboard", current: "/admin"), ["message": "Welcome, \(me.user.name)."])
        }
        let now = clock.now()
        let accountId = me.account.id
        let soon = now.addingTimeInterval(30 * 86_400)
        let today = Date(epochMilliseconds: now.epochMilliseconds / 86_400_000 * 86_400_000)
        let figures = try await store.read { session in
            let dashboard = session.dashboard
            return (
                states: try await dashboard.licensesByState(accountId: accountId),
                expired: try await dashboard.licensesExpiring(accountId: accountId, state: "active", from: Date(epochMilliseconds: 0), to: now),
                expiring: try await dashboard.licensesExpiring(accountId: accountId, state: "active", from: now, to: soon),
                machines: try await dashboard.activeMachines(accountId: accountId),
                machineDays: try await dashboard.machineDays(accountId: accountId, since: today.addingTimeInterval(-29 * 86_400)),
                validations: try await dashboard.validationDays(accountId: accountId, since: today.addingTimeInterval(-13 * 86_400)),
                meters: try await dashboard.meterMonths(accountId: accountId, monthStart: DashboardSnapshotJob.monthStart(of: now), limit: 5)
            )
        }
        let active = (figures.states["active"] ?? 0) - figures.expired
        let soonText = ISO8601DateFormatter().string(from: soon)
        let tiles: [[String: String]] = [
            ["label": "Active licenses", "value": "\(active)", "href": "/admin/licenses?status=active"],
            ["label": "Expiring in 30 days", "value": "\(figures.expiring)", "href": "/admin/licenses?status=active&expiringBefore=\(soonText.queryValue)"],
            ["label": "Expired", "value": "\(figures.expired)", "href": "/admin/licenses?status=expired"],
            ["label": "Suspended", "value": "\(figures.states["suspended"] ?? 0)", "href": "/admin/licenses?status=suspended"],
            ["label": "Revoked", "value": "\(figures.states["revoked"] ?? 0)", "href": "/admin/licenses?status=revoked"],
            ["label": "Active machines", "value": "\(figures.machines)", "href": "/admin/machines?state=active"],
        ]
        let values: [String: Any] = [
            "tiles": tiles,
            "validations": Self.validationChart(figures.validations, today: today),
            "machines": Self.machineChart(figures.machineDays.map { ($0.day, $0.active) } + [(today, figures.machines)], today: today),
            "meters": Self.meterBars(figures.meters),
        ]
        return pages.renderer.page("dashboard", frame: pages.frame(me, title: "Dashboard", current: "/admin"), values)
    }

    static let dayFormat: Date.FormatStyle = Date.FormatStyle(date: .abbreviated, time: .omitted, timeZone: TimeZone(identifier: "UTC") ?? .current)

    /// Stacked bars, one per day, one colour per code; and the same figures as rows.
    static func validationChart(_ rows: [(day: Date, code: String, count: Int)], today: Date) -> [String: Any] {
        let days = (0..<14).map { today.addingTimeInterval(TimeInterval($0 - 13) * 86_400) }
        let codes = Array(Set(rows.map(\.code))).sorted()
        var counts: [Date: [String: Int]] = [:]
        for row in rows { counts[row.day, default: [:]][row.code, default: 0] += row.count }
        let highest = max(1, days.map { counts[$0]?.values.reduce(0, +) ?? 0 }.max() ?? 1)
        let (width, height, barWidth) = (560.0, 160.0, 32.0)
        var bars: [[String: String]] = []
        for (index, day) in days.enumerated() {
            var y = height
            for (codeIndex, code) in codes.enumerated() {
                let count = counts[day]?[code] ?? 0
                guard count > 0 else { continue }
                let h = Double(count) / Double(highest) * (height - 10)
                y -= h
                bars.append([
                    "x": String(format: "%.1f", Double(index) * (width / 14) + 4), "y": String(format: "%.1f", y), "width": String(barWidth),
                    "height": String(format: "%.1f", h), "tone": "tone\(codeIndex % 6)", "title": "\(day.formatted(dayFormat)): \(count) \(code)",
                ])
            }
        }
        let legend = codes.enumerated().map { ["code": $0.element, "tone": "tone\($0.offset % 6)", "href": link(for: $0.element)] }
        let table = days.map { day in
            ["day": day.formatted(dayFormat), "figures": codes.map { "\($0): \(counts[day]?[$0] ?? 0)" }.joined(separator: ", ")]
        }
        return ["bars": bars, "legend": legend, "rows": table, "width": String(Int(width)), "height": String(Int(height)), "empty": rows.isEmpty]
    }

    /// The top meters' month so far, as bars of their events (the hourly snapshot's figures).
    static func meterBars(_ meters: [(meter: String, events: Int64, value: Int64)]) -> [String: Any] {
        let highest = max(1, meters.map(\.events).max() ?? 1)
        let rows = meters.map { meter -> [String: String] in
            [
                "meter": meter.meter, "events": "\(meter.events)", "value": AdminPages.text(NSNumber(value: Double(meter.value) / 1_000_000)),
                "width": String(Int((Double(meter.events) / Double(highest) * 300).rounded())),
            ]
        }
        return ["rows": rows, "empty": meters.isEmpty]
    }

    /// Where a validation code's figure leads: the licenses whose status answers it.
    static func link(for code: String) -> String {
        switch code {
        case "SUSPENDED": "/admin/licenses?status=suspended"
        case "EXPIRED": "/admin/licenses?status=expired"
        case "REVOKED": "/admin/licenses?status=revoked"
        default: "/admin/licenses?status=active"
        }
    }

    /// A bar per day of the active machines counted that day.
    static func machineChart(_ points: [(day: Date, active: Int)], today: Date) -> [String: Any] {
        var byDay: [Date: Int] = [:]
        for point in points { byDay[point.day] = point.active }
        let days = (0..<30).map { today.addingTimeInterval(TimeInterval($0 - 29) * 86_400) }
        let highest = max(1, byDay.values.max() ?? 1)
        let (width, height) = (560.0, 120.0)
        let bars = days.enumerated().compactMap { index, day -> [String: String]? in
            guard let value = byDay[day] else { return nil }
            let h = max(1, Double(value) / Double(highest) * (height - 10))
            return [
                "x": String(format: "%.1f", Double(index) * (width / 30) + 2), "y": String(format: "%.1f", height - h), "width": "14",
                "height": String(format: "%.1f", h), "title": "\(day.formatted(dayFormat)): \(value) active",
            ]
        }
        let rows = days.compactMap { day in byDay[day].map { ["day": day.formatted(dayFormat), "figures": "\($0)"] } }
        return ["bars": bars, "rows": rows, "width": String(Int(width)), "height": String(Int(height))]
    }
}
