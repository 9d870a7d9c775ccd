import Foundation
import Hummingbird
import TollgateDomain
import TollgateFormats
import TollgateStore

/// `GET /v1/analytics/usage` (a meter's usage over time, its top licenses and percentiles) and
/// `GET /v1/analytics/adoption` (how many licenses used each feature), for API tokens.
struct AnalyticsController: Sendable {
    let store: Store
    let clock: any TollgateClock

    func addRoutes(to group: RouterGroup<AuthenticatedContext>) {
        group.permitting(.usageRead).get("analytics/usage") { request, context in try await usage(request, context) }
        group.permitting(.usageRead).get("analytics/adoption") { request, context in try await adoption(request, context) }
    }

    /// The buckets a query may ask for.
    enum Bucket: String, APIEnum {
        case hour, day, month

        var period: LimitPeriod {
            switch self {
            case .hour: .hour
            case .day: .day
            case .month: .month
            }
        }

        /// Without `from`: the last 48 hours, 31 days or 12 months, to the current bucket's end.
        var defaultSpan: (LimitPeriod, Int) {
            switch self {
            case .hour: (.hour, 48)
            case .day: (.day, 31)
            case .month: (.month, 12)
            }
        }
    }

    /// `from` and `to` (default: the span ``Bucket/defaultSpan`` up to the end of the bucket that
    /// holds now), aligned outwards to whole buckets by ``UsageAnalytics/buckets(_:from:to:)``.
    static func span(_ request: Request, bucket: Bucket, now: Date) throws(TollgateError) -> (from: Date, to: Date) {
        let to = try request.queryDate("to") ?? bucket.period.window(containing: now)!.end
        var from: Date
        if let given = try request.queryDate("from") {
            from = given
        } else {
            from = to
            for _ in 0..<bucket.defaultSpan.1 { from = bucket.period.window(containing: from.addingTimeInterval(-0.001))!.start }
        }
        guard from < to else {
            throw .malformed(code: RequestCode.invalidParameter, message: "'from' must be before 'to'.", field: "from")
        }
        return (from, to)
    }

    /// At most one of `licenseId`, `customerId` and `productId`; none: the whole account.
    static func scope(_ request: Request) throws(TollgateError) -> UsageAnalyticsTable.Scope {
        let given: [(String, UsageAnalyticsTable.Scope)] = [
            request.queryString("licenseId").map { ("licenseId", .license($0)) },
            request.queryString("customerId").map { ("customerId", .customer($0)) },
            request.queryString("productId").map { ("productId", .product($0)) },
        ].compactMap { $0 }
        guard given.count <= 1 else {
            throw .malformed(
                code: RequestCode.invalidParameter, message: "Name at most one of 'licenseId', 'customerId' and 'productId'.", field: given[1].0)
        }
        return given.first?.1 ?? .account
    }

    func usage(_ request: Request, _ context: AuthenticatedContext) async throws -> Response {
        guard let code = request.queryString("meter") else {
            throw TollgateError.malformed(code: RequestCode.invalidParameter, message: "'meter' names the meter to read.", field: "meter")
        }
        let bucket = try request.queryEnum("bucket", Bucket.self) ?? .day
        let now = clock.now()
        let (from, to) = try Self.span(request, bucket: bucket, now: now)
        let scope = try Self.scope(request)
        var wanted = 10
        if let text = request.queryString("top") {
            guard let value = Int(text), (0...100).contains(value) else {
                throw TollgateError.malformed(code: RequestCode.invalidParameter, message: "'top' must be a whole number from 0 to 100.", field: "top")
            }
            wanted = value
        }
        // One license has no ranking.
        let top: Int
        if case .license = scope { top = 0 } else { top = wanted }
        let grouped: Bool
        switch request.queryString("groupBy") {
        case nil, "false": grouped = false
        case "true": grouped = true
        default:
            throw TollgateError.malformed(code: RequestCode.invalidParameter, message: "'groupBy' is true or false.", field: "groupBy")
        }
        let accountId = context.accountId
        let answer = try await store.read { session -> UsageAnswer in
            guard let meter = try await session.meters.byCode(accountId: accountId)[code] else {
                throw TollgateError.invalid(code: MeteringCode.unknownMeter, field: "meter", message: "The account has no meter '\(code)'.")
            }
            try await Self.requireScope(scope, accountId: accountId, session: session)
            let query = UsageAnalytics.Query(
                meter: meter, bucket: bucket.period, from: from, to: to,
                scope: try await Self.storedScope(scope, of: meter, accountId: accountId, session: session), top: top, now: now)
            let (series, topLicenses) = try await UsageAnalytics.run(query, accountId: accountId, session: session)
            var groups: [(group: [String: String], series: [UsageAnalytics.Bucket])]?
            if grouped {
                guard !meter.groupBy.isEmpty, meter.aggregation != .timeWeightedAverage else {
                    throw TollgateError.invalid(
                        field: "groupBy", message: "Meter '\(code)' has no 'groupBy' properties to split by (time-weighted averages are not split).")
                }
                groups = try await UsageAnalytics.groups(query, accountId: accountId, session: session)
            }
            return UsageAnswer(meter: meter, bucket: bucket, scope: scope, series: series, top: top > 0 ? topLicenses : nil, groups: groups)
        }
        return try QuotaController.response(answer)
    }

    /// A scope naming something the account does not have is a 404, not an empty series.
    static func requireScope(_ scope: UsageAnalyticsTable.Scope, accountId: String, session: StoreSession) async throws {
        switch scope {
        case .account: return
        case .license(let id):
            guard try await session.licenses.find(id: id, accountId: accountId) != nil else { throw TollgateError.notFound(resource: "license", id: id) }
        case .customer(let id):
            guard try await session.customers.find(id: id, accountId: accountId) != nil else { throw TollgateError.notFound(resource: "customer", id: id) }
        case .product(let id):
            guard try await session.products.find(id: id, accountId: accountId) != nil else { throw TollgateError.notFound(resource: "product", id: id) }
        }
    }

    /// The scope as the meter's rows name it: a telemetry meter stores licenses under their
    /// pseudonyms (``TelemetryPseudonym``), so it reads one license by its pseudonym, and cannot
    /// tell which customer's or product's licenses its rows belong to.
    static func storedScope(
        _ scope: UsageAnalyticsTable.Scope, of meter: Meter, accountId: String, session: StoreSession
    ) async throws -> UsageAnalyticsTable.Scope {
        guard meter.kind == .telemetry else { return scope }
        switch scope {
        case .account: return scope
        case .license(let id):
            // No salt yet: no telemetry was recorded, and no row has the pseudonym below.
            let salt = try await session.accounts.telemetrySalt(accountId: accountId) ?? []
            return .license(TelemetryPseudonym.make(id, salt: salt))
        case .customer, .product:
            throw TollgateError.invalid(
                field: "meter",
                message: "Telemetry of meter '\(meter.code)' is stored under pseudonyms: read it for the account or for one license.")
        }
    }

    struct UsageAnswer: JSONWritable {
        var meter: Meter
        var bucket: Bucket
        var scope: UsageAnalyticsTable.Scope
        var series: [UsageAnalytics.Bucket]
        var top: [UsageAnalytics.TopLicense]?
        var groups: [(group: [String: String], series: [UsageAnalytics.Bucket])]?

        func write(_ json: inout JSONWriter) {
            json.object { json in
                json.key("aggregation"); json.string(meter.aggregation.rawValue)
                json.key("bucket"); json.string(bucket.rawValue)
                json.key("from"); json.date(series.first?.start)
                json.key("meter"); json.string(meter.code)
                json.key("scope")
                json.object { json in
                    switch scope {
                    case .account: break
                    case .license(let id): json.key("licenseId"); json.string(id)
                    case .customer(let id): json.key("customerId"); json.string(id)
                    case .product(let id): json.key("productId"); json.string(id)
                    }
                }
                if let groups {
                    json.key("groups")
                    json.array(groups) { json, group in
                        json.object { json in
                            json.key("group")
                            json.object { json in
                                for (name, value) in group.group.sorted(by: { $0.key < $1.key }) {
                                    json.key(name); json.string(value)
                                }
                            }
                            json.key("series"); AnalyticsController.write(group.series, percentiles: false, &json)
                        }
                    }
                }
                json.key("series"); AnalyticsController.write(series, percentiles: meter.percentiles, &json)
                json.key("to"); json.date(series.last?.end)
                if let top {
                    json.key("topLicenses")
                    json.array(top) { json, license in
                        json.object { json in
                            json.key("events"); json.int(Int(license.events))
                            json.key("licenseId"); json.string(license.licenseId)
                            json.key("value"); json.quantity(license.value)
                        }
                    }
                }
            }
        }
    }

    /// A series: per bucket its start, end, events, value, and with `percentiles` p50, p95, p99.
    static func write(_ series: [UsageAnalytics.Bucket], percentiles: Bool, _ json: inout JSONWriter) {
        json.array(series) { json, bucket in
            json.object { json in
                json.key("end"); json.date(bucket.end)
                json.key("events"); json.int(Int(bucket.events))
                if percentiles {
                    for (name, value) in [("p50", bucket.percentiles?.p50), ("p95", bucket.percentiles?.p95), ("p99", bucket.percentiles?.p99)] {
                        json.key(name)
                        if let value { json.quantity(value) } else { json.null() }
                    }
                }
                json.key("start"); json.date(bucket.start)
                json.key("value"); json.quantity(bucket.value)
            }
        }
    }

    func adoption(_ request: Request, _ context: AuthenticatedContext) async throws -> Response {
        let (from, to) = try Self.span(request, bucket: .day, now: clock.now())
        let productId = request.queryString("productId")
        let accountId = context.accountId
        // Whole UTC days.
        let start = LimitPeriod.day.window(containing: from)!.start
        let end = LimitPeriod.day.window(containing: to.addingTimeInterval(-0.001))!.end
        let features = try await store.read { session in
            if let productId { try await Self.requireScope(.product(productId), accountId: accountId, session: session) }
            return try await session.usageAnalytics.adoption(accountId: accountId, productId: productId, from: start, to: end)
        }
        let answer = AdoptionAnswer(from: start, to: end, productId: productId, features: features)
        return try QuotaController.response(answer)
    }

    struct AdoptionAnswer: JSONWritable {
        var from: Date
        var to: Date
        var productId: String?
        var features: [(feature: String, licenses: Int64)]

        func write(_ json: inout JSONWriter) {
            json.object { json in
                json.key("features")
                json.array(features) { json, feature in
                    json.object { json in
                        json.key("feature"); json.string(feature.feature)
                        json.key("licenses"); json.int(Int(feature.licenses))
                    }
                }
                json.key("from"); json.date(from)
                json.key("productId"); json.string(productId)
                json.key("to"); json.date(to)
            }
        }
    }
}
