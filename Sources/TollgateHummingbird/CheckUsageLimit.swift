import Hummingbird
import TollgateClient
import TollgateFormats

/// Lets a request through while this month's usage of `meter` is below the license's limit
/// `limit` (a limit code of the policy, from the machine token; no limit of that code or
/// `"unlimited"` lets everything through), and records one unit of `meter` for each request answered with
/// 2xx. At the limit: 402 `USAGE_LIMIT_REACHED` with the count, the maximum and the cheapest
/// tier with a higher limit. The count is this machine's (``TollgateClient/usedThisMonth(_:)``).
///
/// ```swift
/// router.group("reports").add(middleware: CheckUsageLimit(client, "executionsPerMonth", meter: "executions"))
/// ```
public struct CheckUsageLimit<Context: RequestContext>: RouterMiddleware {
    public let client: TollgateClient
    public let limit: String
    public let meter: String

    public init(_ client: TollgateClient, _ limit: String, meter: String = "executions") {
        self.client = client
        self.limit = limit
        self.meter = meter
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let state = client.state
        guard state.allowsUse else { return LicenseDenial.licenseRequired(state).response }
        if let maximum = client.limit(limit)?.maximum {
            let used = client.usedThisMonth(meter)
            if used >= Double(maximum) {
                let tier = client.claims?.tier
                return LicenseDenial(
                    status: LicenseDenial.paymentRequired, code: .usageLimitReached,
                    message: "This license allows \(maximum) \(meter) a month and \(Int(used)) were used.",
                    details: [
                        "limit": .string(limit), "used": .number(Int(used)), "maximum": .number(maximum), "currentTier": .string(tier),
                        "requiredTier": .string(client.tierWithMore(limit, than: maximum)),
                    ]
                ).response
            }
        }
        let response = try await next(request, context)
        if (200..<300).contains(response.status.code) { try client.record(meter: meter, quantity: 1) }
        return response
    }
}
