import ArgumentParser
import Foundation
import TollgateDomain
import TollgateFormats

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Connection options of every admin command.
struct ClientOptions: ParsableArguments {
    @Option(help: "Server URL (TOLLGATE_URL, default http://127.0.0.1:8080).") var url: String?
    @Option(help: "API token (TOLLGATE_TOKEN).") var token: String?
    @Option(
        name: .customLong("license-key"),
        help: "Authenticate with a license key instead of a token (TOLLGATE_LICENSE_KEY); machine, check-out and lease commands only.")
    var licenseKey: String?
    @Flag(help: "Print the server's JSON instead of a table.") var json = false
    @Flag(name: .shortAndLong, help: "Print only the id of the object (for scripts: ID=$(tollgate … -q)).") var quiet = false
    @Option(help: "Print only this field of the object, e.g. --field key.") var field: String?

    /// What to print of a single object.
    var selection: Output.Selection {
        if let field { return .field(field) }
        if quiet { return .field("id") }
        return json ? .json : .table
    }

    var client: AdminClient {
        let environment = ProcessInfo.processInfo.environment
        return AdminClient(
            baseURL: url ?? environment["TOLLGATE_URL"] ?? "http://127.0.0.1:8080", token: token ?? environment["TOLLGATE_TOKEN"],
            licenseKey: licenseKey ?? environment["TOLLGATE_LICENSE_KEY"])
    }
}

/// A failure an admin command reports, with its exit code.
struct CommandFailure: Error, CustomStringConvertible {
    var description: String
    var exitCode: Int32
}

/// Talks to the server's HTTP API.
struct AdminClient {
    var baseURL: String
    var token: String?
    /// When set, sent as `Authorization: License <key>` in place of the token.
    var licenseKey: String? = nil

    /// Sends a request; returns the JSON body of a 2xx answer, or throws with the server's message.
    func send(_ method: String, _ path: String, body: [String: JSONValue]? = nil, query: [String: String] = [:]) async throws -> JSONValue {
        try await send(method, path, raw: try body.map { try JSONEncoder().encode(JSONValue.object($0)) }, contentType: "application/json", query: query)
    }

    /// Sends `raw` as the body with `contentType` (NDJSON imports).
    func send(_ method: String, _ path: String, raw: Data?, contentType: String, query: [String: String] = [:]) async throws -> JSONValue {
        var components = URLComponents(string: baseURL.hasSuffix("/") ? String(baseURL.dropLast()) + path : baseURL + path)
        if !query.isEmpty { components?.queryItems = query.sorted { $0.key < $1.key }.map { URLQueryItem(name: $0.key, value: $0.value) } }
        guard let url = components?.url else { throw CommandFailure(description: "'\(baseURL)' is not a URL.", exitCode: 64) }
        var request = URLRequest(url: url)
        request.httpMethod = method
        if let licenseKey {
            request.setValue("License \(licenseKey)", forHTTPHeaderField: "Authorization")
        } else if let token {
            request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
        }
        if let raw {
            request.setValue(contentType, forHTTPHeaderField: "Content-Type")
            request.httpBody = raw
        }
        let data: Data
        let response: URLResponse
        do {
            (data, response) = try await URLSession.shared.data(for: request)
        } catch {
            throw CommandFailure(description: "Cannot reach the server at \(baseURL): \(error.localizedDescription)", exitCode: 3)
        }
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        let value = (try? JSONDecoder().decode(JSONValue.self, from: data)) ?? .null
        guard (200..<300).contains(status) else {
            if case .object(let envelope) = value, case .object(let error)? = envelope["error"],
                case .string(let code)? = error["code"], case .string(let message)? = error["message"]
            {
                var text = "\(code): \(message)"
                if case .string(let field)? = error["field"] { text += " (field: \(field))" }
                throw CommandFailure(description: text, exitCode: 1)
            }
            throw CommandFailure(description: "The server answered HTTP \(status).", exitCode: 1)
        }
        return value
    }
}

extension JSONValue {
    subscript(key: String) -> JSONValue? {
        if case .object(let members) = self { return members[key] }
        return nil
    }

    /// The value as a table cell.
    var cell: String {
        switch self {
        case .null: return "-"
        case .bool(let value): return String(value)
        case .integer(let value): return String(value)
        case .number(let value): return String(value)
        case .string(let value): return value
        case .array(let values): return values.map(\.cell).joined(separator: ",")
        case .object:
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            return (try? String(decoding: encoder.encode(self), as: UTF8.self)) ?? ""
        }
    }
}

/// Prints answers as tables or JSON.
enum Output {
    static func json(_ value: JSONValue) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        print(String(decoding: (try? encoder.encode(value)) ?? Data(), as: UTF8.self))
    }

    /// How to print one object.
    enum Selection {
        case table, json
        case field(String)
    }

    /// One object as `field  value` lines, as JSON, or one field of it.
    static func object(_ value: JSONValue, _ selection: Selection) {
        switch selection {
        case .json: return json(value)
        case .field(let path):
            // A dotted path reaches into nested objects: --field machine.id.
            let found = path.split(separator: ".").reduce(Optional(value)) { value, name in value?[String(name)] }
            return print(found?.cell ?? "")
        case .table: break
        }
        guard case .object(let members) = value else { return print(value.cell) }
        let width = members.keys.map(\.count).max() ?? 0
        for key in members.keys.sorted() {
            print(key.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + members[key]!.cell)
        }
    }

    /// A list page as a table of `columns`.
    static func table(_ value: JSONValue, columns: [String], json asJSON: Bool) {
        if asJSON { return json(value) }
        guard case .array(let rows)? = value["data"] else { return }
        let cells = rows.map { row in columns.map { row[$0]?.cell ?? "-" } }
        let widths = columns.indices.map { index in max(columns[index].count, cells.map { $0[index].count }.max() ?? 0) }
        func line(_ fields: [String]) -> String {
            zip(fields, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }.joined(separator: "  ")
                .trimmingCharacters(in: .whitespaces)
        }
        print(line(columns.map { $0.uppercased() }))
        cells.forEach { print(line($0)) }
        if case .string(let cursor)? = value["nextCursor"] { print("(more: --cursor \(cursor))") }
    }
}

/// Runs an admin command, turning failures into messages and exit codes.
func runAdmin(_ body: () async throws -> Void) async throws {
    do {
        try await body()
    } catch let failure as CommandFailure {
        FileHandle.standardError.write(Data("error: \(failure.description)\n".utf8))
        throw ExitCode(failure.exitCode)
    }
}
