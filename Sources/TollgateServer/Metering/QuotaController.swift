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
    /// Quota answers by license and hour (``show(_:_:)``).
    let cache = SnapshotCache<[UInt8]>()

    func addRoutes(to group: RouterGroup<MachineRouteContext>) {
        group.permitting(.usageRead).get("licenses/:id/quotas") { request, context in try await show(request, context) }
        group.permitting(.usageRead).post("usage/check") { request, context in try await check(request, context) }
        group.permitting(.usageRead).post("usage/estimate") { request, context in try await estimate(request, context) }
    }

    /// One quota as answers show it; quantities are JSON numbers with up to six decimals.
    /// Written by hand (``JSONWriter``, keys sorted): `JSONEncoder` took a tenth of a quota
    /// answer's time (`perf`, `scripts/bench/quota`).
    struct QuotaBody: JSONWritable {
        let quota: UsageQuota

        init(_ quota: UsageQuota) { self.quota = quota }

        func write(_ json: inout JSONWriter) {
            json.object { json in
                json.key("aggregation"); json.string(quota.aggregation.rawValue)
                json.key("enforcement"); json.string(quota.enforcement.rawValue)
                json.key("limit"); json.limit(quota.limit)
                json.key("meter"); json.string(quota.meter)
                json.key("overage"); json.quantity(quota.overage)
                json.key("period"); json.string(quota.window.period.rawValue)
                json.key("periodStart"); json.date(quota.window.start)
                json.key("remaining")
                if let remaining = quota.remaining { json.quantity(remaining) } else { json.null() }
                json.key("resetsAt"); json.date(quota.window.end)
                json.key("thresholdsReached"); json.array(quota.thresholdsReached) { json, threshold in json.int(threshold) }
                json.key("used"); json.quantity(quota.used)
            }
        }
    }

    struct QuotasAnswer: JSONWritable {
        var licenseId: String
        var quotas: [QuotaBody]
        /// The lowest tier of the product whose limits fit the last full period's usage.
        var suggestedTier: UsageTierSuggestion.Tier?

        func write(_ json: inout JSONWriter) {
            json.object { json in
                json.key("licenseId"); json.string(licenseId)
                json.key("quotas"); json.array(quotas) { json, quota in quota.write(&json) }
                json.key("suggestedTier")
                if let tier = suggestedTier {
                    json.object { json in
                        json.key("current"); json.bool(tier.current)
                        json.key("name"); json.string(tier.name)
                        json.key("policyId"); json.string(tier.policyId)
                        json.key("rank"); json.int(tier.rank)
                    }
                } else {
                    json.null()
                }
            }
        }
    }

    /// Hand-written JSON bodies of this controller.
    static func response(_ value: some JSONWritable) throws -> Response {
        var json = JSONWriter()
        value.write(&json)
        return try Response.json(raw: Data(json.bytes))
    }

    func show(_ request: Request, _ context: MachineRouteContext) async throws -> Response {
        let id = try context.parameters.require("id")
        let (credential, now) = (context.credential, clock.now())
        try credential.requireAccess(toLicense: id, resource: "license", id: id)
        let store = self.store
        // A machine token must still be current: checked on every request, cached or not.
        if case .machine(let token) = credential {
            _ = try await store.read { try await MachineActivator.loadMachine(token.machine, credential: credential, session: $0, now: now) }
        }
        // The answer changes with the account's data and with the hour (the shortest period):
        // cached per license and hour until the next write of this process (at most 2 s, for
        // other replicas' writes). Blocking limits never read it: ingestion checks the counters
        // in its own transaction.
        let hour = LimitPeriod.hour.window(containing: now)!.start.epochMilliseconds
        let key = "\(credential.accountId)/\(id)/\(hour)"
        let body = try await cache.value(key, generation: store.generation.current(accountId: credential.accountId)) {
            try await store.read { session -> [UInt8]? in
                let (license, policy) = try await MachineActivator.loadLicense(id, accountId: credential.accountId, session: session)
                let meters = try await session.meters.byCode(accountId: license.accountId)
                let (quotas, lastPeriod) = try await UsageQuotas.quotas(of: license, policy: policy, meters: meters, at: now, session: session)
                let suggestion = try await UsageTierSuggestion.lowestFitting(license: license, policy: policy, lastPeriod: lastPeriod, session: session)
                var json = JSONWriter()
                QuotasAnswer(licenseId: license.id, quotas: quotas.map(QuotaBody.init), suggestedTier: suggestion).write(&json)
                return json.bytes
            }
        }
        guard let body else { throw TollgateError.notFound(resource: "license", id: id) }
        return try Response.json(raw: Data(body))
    }

    /// `{"licenseId": …, "meter": "executions", "quantity": 5}`: whether 5 more units fit now.
    struct CheckBody: Decodable {
        var licenseId: String?
        var meter: String
        var quantity: JSONValue?
    }

    struct CheckAnswer: JSONWritable {
        /// Whether the usage fits under the limit.
        var fits: Bool
        /// Whether it would be recorded: it fits, or the limit allows overage.
        var allowed: Bool
        /// `USAGE_LIMIT_REACHED` when a blocking limit would refuse it.
        var code: String?
        var quota: QuotaBody

        func write(_ json: inout JSONWriter) {
            json.object { json in
                json.key("allowed"); json.bool(allowed)
                json.key("code"); json.string(code)
                json.key("fits"); json.bool(fits)
                json.key("quota"); quota.write(&json)
            }
        }
    }

    func check(_ request: Request, _ context: MachineRouteContext) async throws -> Response {
        let body = try await JSONBody.read(request, limit: limits.maxBodyBytes, allowedFields: ["licenseId", "meter", "quantity"])
        let fields = try body.decode(CheckBody.self)
        let quantity = try Self.quantity(fields.quantity, field: "quantity")
        let (credential, now) = (context.credential, clock.now())
        let answer = try await store.read { session -> CheckAnswer in
            let (quota, _) = try await Self.quota(
                licenseId: fields.licenseId, meter: fields.meter, credential: credential, session: session, now: now)
            let addition = quota.addition(of: quantity.micros, at: now)
            let fits = quota.fits(addition)
            let allowed = !quota.refuses(addition)
            return CheckAnswer(
                fits: fits, allowed: allowed, code: allowed ? nil : MeteringCode.usageLimitReached.rawValue, quota: QuotaBody(quota))
        }
        return try Self.response(answer)
    }

    /// `{"licenseId": …, "usage": {"executions": 500}}`: per meter, whether the usage fits and
    /// the overage it would create.
    struct EstimateBody: Decodable {
        var licenseId: String?
        var usage: [String: JSONValue]
    }

    struct EstimateLine {
        var meter: String
        var quantity: UsageQuantity
        var fits: Bool
        var allowed: Bool
        /// Usage past the limit once this is added (what allows-overage limits bill), in millionths.
        var overage: Int64
        var quota: QuotaBody
    }

    struct EstimateAnswer: JSONWritable {
        var licenseId: String
        var estimates: [EstimateLine]

        func write(_ json: inout JSONWriter) {
            json.object { json in
                json.key("estimates")
                json.array(estimates) { json, line in
                    json.object { json in
                        json.key("allowed"); json.bool(line.allowed)
                        json.key("fits"); json.bool(line.fits)
                        json.key("meter"); json.string(line.meter)
                        json.key("overage"); json.quantity(line.overage)
                        json.key("quantity"); json.quantity(line.quantity.micros)
                        json.key("quota"); line.quota.write(&json)
                    }
                }
                json.key("licenseId"); json.string(licenseId)
            }
        }
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
                let addition = quota.addition(of: quantity.micros, at: now)
                var after = quota
                after.tally.merge(addition, quota.aggregation)
                lines.append(
                    EstimateLine(
                        meter: meter, quantity: quantity, fits: quota.fits(addition), allowed: !quota.refuses(addition),
                        overage: after.overage, quota: QuotaBody(quota)))
            }
            return EstimateAnswer(licenseId: licenseId, estimates: lines)
        }
        return try Self.response(answer)
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
        quota.tally = try await UsageCounting.tally(
            of: meter, licenseId: license.id, window: quota.window, at: now, accountId: license.accountId, session: session)
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

extension JSONWriter {
    /// Millionths as the exact decimal.
    mutating func quantity(_ micros: Int64) { number(text: UsageQuantity(micros: micros).description) }

    /// A limit: a whole number or `"unlimited"`.
    mutating func limit(_ value: LimitValue) {
        if let maximum = value.maximum { int(maximum) } else { string("unlimited") }
    }
}
