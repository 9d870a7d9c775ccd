import Foundation
import Metrics
import Hummingbird
import TollgateDomain
import TollgateFormats
import TollgateStore

/// `POST /v1/usage/events`: usage recorded by a vendor's app or backend.
///
/// The body is one event (a JSON object with an `id`), a batch (a JSON array, or `{"events":
/// […]}` as the SDKs send it), or NDJSON (`Content-Type: application/x-ndjson`, one event per
/// line) for bulk loads; at most ``maximumEvents`` events. An admin token records usage of any
/// license of its account, a license key of its own license, a machine token of its own license
/// and machine. The answer comes after the events are committed and says, per event, `accepted`,
/// `duplicate`, `conflict` or `rejected` with the reason (``UsageIngestor``).
struct UsageController: Sendable {
    let writer: ChangeWriter
    let limits: BodyLimits
    /// Which event times are taken.
    let window: UsageIngestor.Window
    let featureUses = FeatureUseMemo()

    static let maximumEvents = 1_000

    func addRoutes(to group: RouterGroup<MachineRouteContext>) {
        group.permitting(.usageWrite).post("usage/events") { request, context in try await record(request, context) }
    }

    /// `tollgate_usage_events_total{outcome=accepted|duplicate|conflict|rejected}`, made once.
    static let counters: [UsageEventStatus: Counter] = Dictionary(
        uniqueKeysWithValues: UsageEventStatus.allCases.map { ($0, Counter(label: "tollgate_usage_events_total", dimensions: [("outcome", $0.rawValue)])) })

    /// The counts and the result of every event.
    struct Answer: Codable {
        var accepted: Int
        var duplicates: Int
        var conflicts: Int
        var rejected: Int
        var results: [UsageIngestor.Result]
    }

    func record(_ request: Request, _ context: MachineRouteContext) async throws -> Response {
        // A batch of a thousand events with properties can exceed the usual body limit.
        let data = try await JSONBody.collect(request, limit: limits.maxBatchBytes)
        let ndjson = request.headers[.contentType]?.lowercased().hasPrefix("application/x-ndjson") == true
        let values = try ndjson ? Self.lines(data) : Self.batch(data)
        guard !values.isEmpty else {
            throw TollgateError.invalid(code: MeteringCode.invalidUsageEvent, field: "events", message: "The request holds no usage event.")
        }
        guard values.count <= Self.maximumEvents else {
            throw TollgateError.invalid(
                code: MeteringCode.tooManyEvents, field: "events", message: "A request takes at most \(Self.maximumEvents) events; this one holds \(values.count).")
        }
        let inputs = values.map(UsageEventInput.read)
        let (credential, window, memo) = (context.credential, window, featureUses)
        let ingestion = try await writer.write(accountId: context.accountId, lock: .rows) { session, now in
            try await UsageIngestor.ingest(inputs, credential: credential, window: window, featureUses: memo, session: session, now: now)
        }
        memo.remember(ingestion.featureUses, accountId: context.accountId)
        let results = ingestion.results
        func count(_ status: UsageEventStatus) -> Int { results.count { $0.status == status } }
        for status in UsageEventStatus.allCases {
            let n = count(status)
            if n > 0 { Self.counters[status]?.increment(by: n) }
        }
        return try Response.json(
            Answer(accepted: count(.accepted), duplicates: count(.duplicate), conflicts: count(.conflict), rejected: count(.rejected), results: results))
    }

    /// The events of a JSON body: an array, `{"events": […]}`, or one event object.
    static func batch(_ data: Data) throws -> [JSONValue?] {
        if let events = UsageEventWire.batch(data) { return events }
        let value: JSONValue
        do {
            value = try JSONDecoder().decode(JSONValue.self, from: data)
        } catch {
            throw TollgateError.malformed(code: RequestCode.malformedJSON, message: "The body is not valid JSON (send NDJSON with Content-Type: application/x-ndjson).")
        }
        switch value {
        case .array(let events): return events
        case .object(let members) where members["events"] != nil:
            if let unknown = members.keys.sorted().first(where: { $0 != "events" }) {
                throw TollgateError.invalid(code: RequestCode.unknownField, field: unknown, message: "A batch is {\"events\": [...]} and nothing else.")
            }
            guard case .array(let events)? = members["events"] else {
                throw TollgateError.invalid(code: RequestCode.invalidType, field: "events", message: "'events' is an array of usage events.")
            }
            return events
        case .object: return [value]
        default:
            throw TollgateError.malformed(code: RequestCode.malformedJSON, message: "The body is a usage event, an array of them, or {\"events\": [...]}.")
        }
    }

    /// The events of an NDJSON body, one per non-blank line; `nil` for a line that is not JSON,
    /// which is refused on its own.
    static func lines(_ data: Data) throws -> [JSONValue?] {
        data.split(separator: UInt8(ascii: "\n")).compactMap { line -> JSONValue?? in
            guard !line.allSatisfy(JSONBody.isWhitespace) else { return nil }
            return .some(try? JSONDecoder().decode(JSONValue.self, from: Data(line)))
        }
    }
}
