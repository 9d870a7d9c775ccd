import ArgumentParser
import Foundation
import TollgateFormats

struct Usage: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Record usage, read a license's quotas, check whether more fits, read usage over time, export it, import NDJSON.",
        subcommands: [Record.self, Quotas.self, Check.self, Show.self, Export.self, Import.self])

    /// The query of `usage show` and `usage export` (`GET /v1/analytics/usage`).
    struct SeriesOptions: ParsableArguments {
        @Option(help: "Meter code.") var meter: String
        @Option(help: "hour, day or month (default day).") var bucket: String?
        @Option(help: "ISO 8601 start (default: 48 hours, 31 days or 12 months back).") var from: String?
        @Option(help: "ISO 8601 end, exclusive (default: the end of the current bucket).") var to: String?
        @Option(help: "One license.") var license: String?
        @Option(help: "One customer's licenses.") var customer: String?
        @Option(help: "One product's licenses.") var product: String?

        var path: String {
            let pairs = [
                ("meter", meter), ("bucket", bucket), ("from", from), ("to", to), ("licenseId", license), ("customerId", customer), ("productId", product),
            ]
            var components = URLComponents()
            components.queryItems = pairs.compactMap { name, value in value.map { URLQueryItem(name: name, value: $0) } }
            return "/v1/analytics/usage?" + (components.percentEncodedQuery ?? "").replacingOccurrences(of: "+", with: "%2B")
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "A meter's usage over time, as a table per bucket, with the top licenses (the data of a usage chart).")
        @OptionGroup var series: SeriesOptions
        @OptionGroup var client: ClientOptions
        func run() async throws {
            try await runAdmin {
                let answer = try await client.client.send("GET", series.path)
                if client.json { return Output.json(answer) }
                guard case .array(let buckets)? = answer["series"] else { return }
                let percentiles = buckets.first?["p50"] != nil
                Output.table(
                    .object(["data": .array(buckets)]),
                    columns: ["start", "events", "value"] + (percentiles ? ["p50", "p95", "p99"] : []), json: false)
                if case .array(let top)? = answer["topLicenses"], !top.isEmpty {
                    print("\ntop licenses:")
                    Output.table(.object(["data": .array(top)]), columns: ["licenseId", "events", "value"], json: false)
                }
            }
        }
    }

    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Export a meter's usage over time as CSV: start, end, events, value (and p50, p95, p99 for meters with percentiles).")
        @OptionGroup var series: SeriesOptions
        @Option(name: .shortAndLong, help: "Write to this file (default: standard output).") var output: String?
        @OptionGroup var client: ClientOptions
        func run() async throws {
            try await runAdmin {
                let answer = try await client.client.send("GET", series.path)
                guard case .array(let buckets)? = answer["series"] else { return }
                let columns = ["start", "end", "events", "value"] + (buckets.first?["p50"] != nil ? ["p50", "p95", "p99"] : [])
                var csv = columns.joined(separator: ",") + "\n"
                for bucket in buckets {
                    csv += columns.map { bucket[$0].map { $0 == .null ? "" : $0.cell } ?? "" }.joined(separator: ",") + "\n"
                }
                if let output { try Data(csv.utf8).write(to: URL(fileURLWithPath: output)) } else { print(csv, terminator: "") }
            }
        }
    }

    struct Record: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Record one usage event.",
            discussion: "The id is the event's idempotency key: recording the same id again answers duplicate, not a second count.")
        @Option(help: "License id (with an API token; a license key records its own).") var license: String?
        @Option(help: "Meter code.") var meter: String
        @Option(help: "Quantity, a decimal with at most 6 places (default 1).") var quantity: String?
        @Option(help: "The event's id (default: a new UUID).") var id: String?
        @Option(help: "RFC 3339 UTC time (default: now).") var timestamp: String?
        @Option(help: "A property, key=value; repeatable.") var property: [String] = []
        @OptionGroup var client: ClientOptions
        func run() async throws {
            try await runAdmin {
                let body = fields([
                    ("id", .string(id ?? UUID().uuidString.lowercased())), ("licenseId", string(license)), ("meter", .string(meter)),
                    ("quantity", string(quantity)), ("timestamp", string(timestamp)), ("properties", try pairs(property, option: "--property")),
                ])
                let answer = try await client.client.send("POST", "/v1/usage/events", body: body)
                guard case .array(let results)? = answer["results"], let result = results.first else { return Output.json(answer) }
                Output.object(result, client.selection)
                if result["status"]?.cell == "rejected" || result["status"]?.cell == "conflict" { throw ExitCode(1) }
            }
        }
    }

    struct Quotas: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "A license's usage against its limits with a period, and the tier that fits.")
        @Argument(help: "License id.") var license: String
        @OptionGroup var client: ClientOptions
        func run() async throws {
            try await runAdmin {
                let answer = try await client.client.send("GET", "/v1/licenses/\(license)/quotas")
                if client.json { return Output.json(answer) }
                Output.table(
                    .object(["data": answer["quotas"] ?? .array([])]),
                    columns: ["meter", "period", "used", "limit", "remaining", "overage", "enforcement", "resetsAt"], json: false)
                if let tier = answer["suggestedTier"], tier != .null {
                    print("suggested tier: \(tier["name"]?.cell ?? "-") (\(tier["policyId"]?.cell ?? "-"))\(tier["current"] == .bool(true) ? ", the current one" : "")")
                }
            }
        }
    }

    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Whether QUANTITY more of a meter fits the license's limit now (exit 1 when a blocking limit would refuse it).")
        @Option(help: "License id (with an API token).") var license: String?
        @Option(help: "Meter code.") var meter: String
        @Option(help: "Quantity (default 1).") var quantity: String?
        @OptionGroup var client: ClientOptions
        func run() async throws {
            try await runAdmin {
                let answer = try await client.client.send(
                    "POST", "/v1/usage/check", body: fields([("licenseId", string(license)), ("meter", .string(meter)), ("quantity", string(quantity))]))
                if client.json { Output.json(answer) } else {
                    print("fits: \(answer["fits"]?.cell ?? "-"), allowed: \(answer["allowed"]?.cell ?? "-"), used \(answer["quota"]?["used"]?.cell ?? "-") of \(answer["quota"]?["limit"]?.cell ?? "-")")
                }
                if answer["allowed"] == .bool(false) { throw ExitCode(1) }
            }
        }
    }

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Import usage events from an NDJSON file (one event per line), 1,000 per request, with a progress bar.",
            discussion: """
                Events keep their ids, so an interrupted import can be run again: what was stored answers duplicate. \
                Exits 1 when any event was rejected or conflicted (the first reasons are printed).
                """)
        @Argument(help: "The NDJSON file.") var file: String
        @OptionGroup var client: ClientOptions
        func run() async throws {
            try await runAdmin {
                guard let data = FileManager.default.contents(atPath: file) else {
                    throw CommandFailure(description: "Cannot read '\(file)'.", exitCode: 64)
                }
                let lines = data.split(separator: UInt8(ascii: "\n")).filter { !$0.allSatisfy { $0 == 0x20 || $0 == 0x09 || $0 == 0x0D } }
                var totals: [String: Int] = [:]
                var reasons: [String] = []
                var sent = 0
                let progress = ImportProgress(total: lines.count)
                for start in stride(from: 0, to: lines.count, by: 1_000) {
                    let chunk = lines[start..<min(start + 1_000, lines.count)]
                    let body = Data(chunk.joined(separator: [UInt8(ascii: "\n")]))
                    let answer = try await client.client.send("POST", "/v1/usage/events", raw: body, contentType: "application/x-ndjson")
                    for key in ["accepted", "duplicates", "conflicts", "rejected"] {
                        if case .integer(let count)? = answer[key] { totals[key, default: 0] += Int(count) }
                    }
                    if case .array(let results)? = answer["results"] {
                        for result in results where reasons.count < 10 && ["rejected", "conflict"].contains(result["status"]?.cell ?? "") {
                            let line = start + Int(result["index"]?.cell ?? "0")! + 1
                            reasons.append("line \(line): \(result["code"]?.cell ?? "-") \(result["message"]?.cell ?? "")")
                        }
                    }
                    sent += chunk.count
                    progress.show(sent, totals)
                }
                progress.finish()
                print("accepted \(totals["accepted"] ?? 0), duplicates \(totals["duplicates"] ?? 0), conflicts \(totals["conflicts"] ?? 0), rejected \(totals["rejected"] ?? 0)")
                reasons.forEach { print($0) }
                if (totals["conflicts"] ?? 0) + (totals["rejected"] ?? 0) > 0 { throw ExitCode(1) }
            }
        }
    }
}

/// A progress bar on standard error, redrawn in place on a terminal and every tenth on a pipe.
struct ImportProgress {
    let total: Int
    let terminal = isatty(FileHandle.standardError.fileDescriptor) != 0

    func show(_ done: Int, _ totals: [String: Int]) {
        let width = 30
        let filled = total == 0 ? width : width * done / total
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
        let text = "[\(bar)] \(done)/\(total) events, \(totals["accepted"] ?? 0) accepted"
        if terminal {
            FileHandle.standardError.write(Data("\r\(text)".utf8))
        } else if total > 0, (done * 10 / total) != ((done - min(done, 1_000)) * 10 / total) || done == total {
            FileHandle.standardError.write(Data("\(text)\n".utf8))
        }
    }

    func finish() { if terminal { FileHandle.standardError.write(Data("\n".utf8)) } }
}
