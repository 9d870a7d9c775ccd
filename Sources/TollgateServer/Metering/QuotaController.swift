import Foundation
import Hummingbird
import TollgateDomain
import TollgateFormats
import TollgateStore

/// `GET /v1/licenses/{id}/quotas`, `POST /v1/usage/check` and `POST /v1/usage/estimate`: a
/// license's usage against its limits with a period, read from the counters that ingestion keeps.
/// An API token reads any license of its account; a license key or machine token its own.
struct QuotaController: Sendable {
    let store: Store
    let clock: any TollgateClock
    let limits: BodyLimits

    func addRoutes(to group: RouterGroup<MachineRouteContext>) {
        group.get("licenses/:id/quotas") { request, context in try await show(request, context) }
        group.post("usage/check") { request, context in try await check(request, context) }
        group.post("usage/estimate") { request, context in try await estimate(request, context) }
    }

    /// One quota as answers show it; quantities are JSON numbers with up to six decimals.
    struct QuotaBody: Encodable {
        var meter: String
        var aggregation: MeterAggregation
        var period: LimitPeriod
        var periodStart: Date
        var resetsAt: Date
        var limit: LimitValue
        var enforcement: LimitEnforcement
        var used: Decimal
        /// `nil` (written as `null`) when unlimited.
        var remaining: Decimal?
        var overage: Decimal
        var thresholdsReached: [Int]

        init(_ quota: UsageQuota) {
            meter = quota.meter
            aggregation = quota.aggregation
            period = quota.window.period
            periodStart = quota.window.start
            resetsAt = quota.window.end
            limit = quota.limit
            enforcement = quota.enforcement
            used = UsageQuantity(micros: quota.used).decimal
            remaining = quota.remaining.map { UsageQuantity(micros: $0).decimal }
            overage = UsageQuantity(micros: quota.overage).decimal
            thresholdsReached = quota.thresholdsReached
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(meter, forKey: .meter)
            try container.encode(aggregation, forKey: .aggregation)
            try container.encode(period, forKey: .period)
            try container.encode(periodStart, forKey: .periodStart)
            try container.encode(resetsAt, forKey: .resetsAt)
            try container.encode(limit, forKey: .limit)
            try container.encode(enforcement, forKey: .enforcement)
            try container.encode(used, forKey: .used)
            try container.encode(remaining, forKey: .remaining)
            try container.encode(overage, forKey: .overage)
            try container.encode(thresholdsReached, forKey: .thresholdsReached)
        }

        enum CodingKeys: String, CodingKey {
            case meter, aggregation, period, periodStart, resetsAt, limit, enforcement, used, remaining, overage, thresholdsReached
        }
    }

    struct QuotasAnswer: Encodable {
        var licenseId: String
        var quotas: [QuotaBody]
        /// The lowest tier of the product whose limits fit the last full period's usage.
        var suggestedTier: UsageTierSuggestion.Tier?

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(licenseId, forKey: .licenseId)
            try container.encode(quotas, forKey: .quotas)
            try container.encode(suggestedTier, forKey: .suggestedTier)
        }

        enum CodingKeys: String, CodingKey { case licenseId, quotas, suggestedTier }
    }

    func show(_ request: Request, _ context: MachineRouteContext) async throws -> Response {
        let id = try context.parameters.require("id")
        let (credential, now) = (context.credential, clock.now())
        let answer = try await store.read { session -> QuotasAnswer in
            let (license, policy) = try await MachineActivator.loadLicense(id, credential: credential, session: session, now: now)
            let meters = try await session.meters.byCode(accountId: license.accountId)
            let quotas = try await UsageQuotas.quotas(of: license, policy: policy, meters: meters, at: now, session: session)
            let suggestion = try await UsageTierSuggestion.lowestFitting(
                license: license, policy: policy, quotas: quotas, meters: meters, session: session)
            return QuotasAnswer(licenseId: license.id, quotas: quotas.map(QuotaBody.init), suggestedTier: suggestion)
        }
        return try Response.json(answer)
    }

    /// `{"licenseId": …, "meter": "executions", "quantity": 5}`: whether 5 more units fit now.
    struct CheckBody: Decodable {
        var licenseId: String?
        var meter: String
        var quantity: JSONValue?
    }

    struct CheckAnswer: Encodable {
        /// Whether the usage fits under the limit.
        var fits: Bool
        /// Whether it would be recorded: it fits, or the limit allows overage.
        var allowed: Bool
        /// `USAGE_LIMIT_REACHED` when a blocking limit would refuse it.
        var code: String?
        var quota: QuotaBody

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(fits, forKey: .fits)
            try container.encode(allowed, forKey: .allowed)
            try container.encode(code, forKey: .code)
            try container.encode(quota, forKey: .quota)
        }

        enum CodingKeys: String, CodingKey { case fits, allowed, code, quota }
    }

    func check(_ request: Request, _ context: MachineRouteContext) async throws -> Response {
        let body = try await JSONBody.read(request, limit: limits.maxBodyBytes, allowedFields: ["licenseId", "meter", "quantity"])
        let fields = try body.decode(CheckBody.self)
        let quantity = try Self.quantity(fields.quantity, field: "quantity")
        let (credential, now) = (context.credential, clock.now())
        let answer = try await store.read { session -> CheckAnswer in
            let (quota, _) = try await Self.quota(
                licenseId: fields.licenseId, meter: fields.meter, credential: credential, session: session, now: now)
            let addition = UsageTally(events: 1, value: quantity.micros, latestAt: now.epochMilliseconds)
            var strict = quota
            strict.enforcement = .block
            let fits = !strict.refuses(addition)
            let allowed = !quota.refuses(addition)
            return CheckAnswer(
                fits: fits, allowed: allowed, code: allowed ? nil : MeteringCode.usageLimitReached.rawValue, quota: QuotaBody(quota))
        }
        return try Response.json(answer)
    }

    /// `{"licenseId": …, "usage": {"executions": 500}}`: per meter, whether the usage fits and
    /// the overage it would create.
    struct EstimateBody: Decodable {
        var licenseId: String?
        var usage: [String: JSONValue]
    }

    struct EstimateLine: Encodable {
        var meter: String
        var quantity: Decimal
        var fits: Bool
        var allowed: Bool
        /// Usage past the limit once this is added (what allows-overage limits bill).
        var overage: Decimal
        var quota: QuotaBody
    }

    struct EstimateAnswer: Encodable {
        var licenseId: String
        var estimates: [EstimateLine]
    }

    func estimate(_ request: Request, _ context: MachineRouteContext) async throws -> Response {
        let body = try await JSONBody.read(request, limit: limits.maxBodyBytes, allowedFields: ["licenseId", "usage"])
        let fields = try body.decode(EstimateBody.self)
        guard !fields.usage.isEmpty, fields.usage.count <= LimitCodes.maxPerPolicy else {
            throw TollgateError.invalid(field: "usage", message: "'usage' maps 1 to \(LimitCodes.maxPerPolicy) meter codes to quantities.")
        }
        var read: [(String, UsageQuantity)] = []
        for (meter, value) in fields.usage.sorted(by: { $0.key < $1.key }) {
            read.append((meter, try Self.quantity(value, field: "usage.\(meter)")))
        }
        let quantities = read
        let (credential, now) = (context.credential, clock.now())
        let answer = try await store.read { session -> EstimateAnswer in
            var lines: [EstimateLine] = []
            var licenseId = fields.licenseId ?? ""
            for (meter, quantity) in quantities {
                let (quota, license) = try await Self.quota(licenseId: fields.licenseId, meter: meter, credential: credential, session: session, now: now)
                licenseId = license
                let addition = UsageTally(events: 1, value: quantity.micros, latestAt: now.epochMilliseconds)
                var after = quota
                after.tally.merge(addition, quota.aggregation)
                var blocking = quota
                blocking.enforcement = .block
                lines.append(
                    EstimateLine(
                        meter: meter, quantity: quantity.decimal, fits: !blocking.refuses(addition), allowed: !quota.refuses(addition),
                        overage: UsageQuantity(micros: after.overage).decimal, quota: QuotaBody(quota)))
            }
            return EstimateAnswer(licenseId: licenseId, estimates: lines)
        }
        return try Response.json(answer)
    }

    /// The license's quota of `meter` now: the credential's own license unless an API token names one.
    static func quota(
        licenseId: String?, meter code: String, credential: Credential, session: StoreSession, now: Date
    ) async throws -> (UsageQuota, licenseId: String) {
        let id: String
        switch credential {
        case .apiToken:
            guard let licenseId else { throw TollgateError.invalid(field: "licenseId", message: "'licenseId' is required with an API token.") }
            id = licenseId
        case .license(let own, _): id = licenseId ?? own
        case .machine(let token): id = licenseId ?? token.license
        }
        let (license, policy) = try await MachineActivator.loadLicense(id, credential: credential, session: session, now: now)
        guard let meter = try await session.meters.byCode(accountId: license.accountId)[code] else {
            throw TollgateError.invalid(code: MeteringCode.unknownMeter, field: "meter", message: "The account has no meter '\(code)'.")
        }
        guard var quota = UsageQuotas.quota(of: meter, license: license, policy: policy, at: now) else {
            throw TollgateError.invalid(
                code: MeteringCode.noQuota, field: "meter", message: "The license has no limit with a period for meter '\(code)'.")
        }
        quota.tally = try await UsageCounting.tally(of: meter, licenseId: license.id, window: quota.window, accountId: license.accountId, session: session)
        return (quota, license.id)
    }

    static func quantity(_ value: JSONValue?, field: String) throws(TollgateError) -> UsageQuantity {
        guard let value, value != .null else { return UsageQuantity(micros: UsageQuantity.scale) }
        guard let quantity = UsageQuantity(value), quantity.micros >= 0 else {
            throw TollgateError.invalid(
                code: MeteringCode.invalidQuantity, field: field,
                message: "'\(field)' is a number or decimal string of at most 6 decimal places, 0 to 10^12.")
        }
        return quantity
    }
}
