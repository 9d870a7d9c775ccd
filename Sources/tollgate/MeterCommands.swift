import ArgumentParser
import Foundation
import TollgateFormats

struct Meters: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Manage meters: what usage events of one code count, and how they are aggregated.",
        subcommands: [Create.self, List.self, Show.self])
    static let columns = ["id", "code", "name", "aggregation", "createdAt"]

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a meter.")
        @Option(help: "The limit code it meters, e.g. gpu-hours.") var code: String
        @Option(help: "Display name.") var name: String
        @Option(help: "count, sum, max, unique_count, latest or time_weighted_average.") var aggregation: String
        @Option(help: "The event property aggregated (default: the event's quantity; unique_count needs one).") var property: String?
        @Option(help: "What the meter measures.") var description: String?
        @Option(help: "property=value: only events with one of the listed values count; repeatable.") var filter: [String] = []
        @Option(help: "A property that splits usage into groups; repeatable.") var groupBy: [String] = []
        @Option(help: "usage (the default) or telemetry (taken only for licenses that opted in; stored under pseudonyms).") var kind: String?
        @Option(help: "A property a telemetry meter's events may carry; repeatable (the only ones they may).") var allowProperty: [String] = []
        @Flag(help: "Keep the distribution of the values for p50/p95/p99 in analytics (not for count or unique_count).") var percentiles = false
        @OptionGroup var client: ClientOptions
        func run() async throws {
            try await runAdmin {
                var filters: [String: [JSONValue]] = [:]
                for pair in filter {
                    let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
                    guard parts.count == 2 else { throw ValidationError("--filter takes property=value, not '\(pair)'.") }
                    filters[parts[0], default: []].append(.string(parts[1]))
                }
                let body = fields([
                    ("code", .string(code)), ("name", .string(name)), ("aggregation", .string(aggregation)), ("property", string(property)),
                    ("description", string(description)), ("filters", filters.isEmpty ? nil : .object(filters.mapValues { .array($0) })),
                    ("groupBy", strings(groupBy)), ("percentiles", percentiles ? .bool(true) : nil),
                    ("kind", string(kind)), ("allowedProperties", strings(allowProperty)),
                ])
                Output.object(try await client.client.send("POST", "/v1/meters", body: body), client.selection)
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List meters.")
        @OptionGroup var page: PageOptions
        @OptionGroup var client: ClientOptions
        func run() async throws {
            try await runAdmin {
                Output.table(try await client.client.send("GET", "/v1/meters", query: page.query), columns: Meters.columns, json: client.json)
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a meter.")
        @Argument var id: String
        @OptionGroup var client: ClientOptions
        func run() async throws {
            try await runAdmin { Output.object(try await client.client.send("GET", "/v1/meters/\(id)"), client.selection) }
        }
    }
}
