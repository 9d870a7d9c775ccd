import ArgumentParser
import Foundation
import TollgateDomain
import TollgateFormats

/// Options shared by the check-out commands: encryption, lifetime and where the file goes.
struct CheckOutOptions: ParsableArguments {
    @Flag(help: "Encrypt the file with a key derived from the license key (and the fingerprint for a machine file).") var encrypt = false
    @Option(help: "Seconds the file stays valid (3600 to 31536000); default: the policy's offline grace.") var ttl: Int?
    @Option(name: .shortAndLong, help: "Write the file here instead of standard output.") var output: String?

    var body: [String: JSONValue] { fields([("encrypt", encrypt ? .bool(true) : nil), ("ttlSeconds", ttl.map { .number(Double($0)) })]) }

    /// Writes the `file` of a check-out answer.
    func write(_ answer: JSONValue) throws {
        guard case .string(let file)? = answer["file"] else { throw CommandFailure(description: "The server answered no file.", exitCode: 1) }
        try emit(file, to: output)
    }
}

/// Writes `text` to `path` (0600), or prints it.
func emit(_ text: String, to path: String?) throws {
    guard let path else {
        print(text, terminator: text.hasSuffix("\n") ? "" : "\n")
        return
    }
    guard FileManager.default.createFile(atPath: path, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600]) else {
        throw CommandFailure(description: "Cannot write '\(path)'.", exitCode: 1)
    }
}

/// Reads a file the user named, or standard input for `-`.
func readText(_ path: String) throws -> String {
    if path == "-" { return String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self) }
    guard let data = FileManager.default.contents(atPath: path) else { throw CommandFailure(description: "Cannot read '\(path)'.", exitCode: 64) }
    return String(decoding: data, as: UTF8.self)
}

struct Machines: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Activate, list, beat, check out and deactivate machines; air-gapped activation.",
        discussion: """
            Online commands take an admin token, or --license-key to act as the license's holder. \
            Air-gapped activation: on the offline machine run 'offline-request', carry the block to a connected machine and run \
            'offline-activate' (no token needed: the block proves the key), carry the machine file back. To give the seat back, \
            run 'offline-deactivate' on the offline machine and 'submit-receipt' on a connected one.
            """,
        subcommands: [
            Activate.self, List.self, Show.self, Heartbeat.self, Deactivate.self, CheckOut.self, OfflineRequest.self, OfflineActivate.self,
            OfflineDeactivate.self, SubmitReceipt.self,
        ])
    static let columns = ["id", "status", "fingerprint", "name", "cluster", "lastHeartbeatAt"]

    struct Activate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Activate a machine; prints the machine, the license status and a token.")
        @Option(help: "License id (with an admin token; a license key names its own).") var license: String?
        @Option(help: "The machine's fingerprint.") var fingerprint: String
        @Option var name: String?
        @Option var platform: String?
        @Option var hostname: String?
        @Option var cores: Int?
        @Option(help: "The cluster the machine is a node of.") var cluster: String?
        @OptionGroup var client: ClientOptions
        func run() async throws {
            try await runAdmin {
                let body = fields([
                    ("licenseId", string(license)), ("fingerprint", .string(fingerprint)), ("name", string(name)), ("platform", string(platform)),
                    ("hostname", string(hostname)), ("cores", cores.map { .number(Double($0)) }), ("cluster", string(cluster)),
                ])
                Output.object(try await client.client.send("POST", "/v1/machines", body: body), client.machineSelection)
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List machines (of one license with --license).")
        @Option var license: String?
        @Option(help: "active or deactivated.") var state: String?
        @OptionGroup var page: PageOptions
        @OptionGroup var client: ClientOptions
        func run() async throws {
            try await runAdmin {
                var query = page.query
                query["state"] = state
                let path = license.map { "/v1/licenses/\($0)/machines" } ?? "/v1/machines"
                Output.table(try await client.client.send("GET", path, query: query), columns: Machines.columns, json: client.json)
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a machine: alive, dead or deactivated, and its last heartbeat.")
        @Argument var id: String
        @OptionGroup var client: ClientOptions
        func run() async throws { try await runAdmin { Output.object(try await client.client.send("GET", "/v1/machines/\(id)"), client.selection) } }
    }

    struct Heartbeat: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Send a heartbeat; prints the license status and a fresh token.")
        @Argument var id: String
        @OptionGroup var client: ClientOptions
        func run() async throws {
            try await runAdmin { Output.object(try await client.client.send("POST", "/v1/machines/\(id)/heartbeat"), client.machineSelection) }
        }
    }

    struct Deactivate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Deactivate a machine, freeing its seat and revoking its tokens.")
        @Argument var id: String
        @OptionGroup var client: ClientOptions
        func run() async throws { try await runAdmin { Output.object(try await client.client.send("DELETE", "/v1/machines/\(id)"), client.selection) } }
    }

    struct CheckOut: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "check-out", abstract: "Write a signed machine file for offline use.")
        @Argument var id: String
        @OptionGroup var file: CheckOutOptions
        @OptionGroup var client: ClientOptions
        func run() async throws {
            try await runAdmin { try file.write(try await client.client.send("POST", "/v1/machines/\(id)/actions/check-out", body: file.body)) }
        }
    }

    struct OfflineRequest: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "offline-request", abstract: "On an air-gapped machine: write an activation request block (no network).")
        @Option(name: .customLong("license-key"), help: "The license key (TOLLGATE_LICENSE_KEY).") var licenseKey: String?
        @Option(help: "The machine's fingerprint.") var fingerprint: String
        @Option var name: String?
        @Option var platform: String?
        @Option var hostname: String?
        @Option(name: .shortAndLong, help: "Write the block here instead of standard output.") var output: String?
        func run() async throws {
            try await runAdmin {
                guard let key = licenseKey ?? ProcessInfo.processInfo.environment["TOLLGATE_LICENSE_KEY"] else {
                    throw CommandFailure(description: "Give --license-key or set TOLLGATE_LICENSE_KEY.", exitCode: 64)
                }
                let block: String
                do {
                    block = try OfflineActivationRequest.make(
                        licenseKey: key, fingerprint: fingerprint, name: name, platform: platform, hostname: hostname, now: Date())
                } catch {
                    throw CommandFailure(description: "The license key cannot be read: \(error)", exitCode: 1)
                }
                try emit(block, to: output)
            }
        }
    }

    struct OfflineActivate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "offline-activate", abstract: "On a connected machine: submit an activation request; writes the machine file.")
        @Argument(help: "The request block file ('-' for standard input).") var request: String
        @OptionGroup var file: CheckOutOptions
        @OptionGroup var client: ClientOptions
        func run() async throws {
            try await runAdmin {
                var body = file.body
                body["request"] = .string(try readText(request))
                try file.write(try await client.client.send("POST", "/v1/machines/offline-activations", body: body))
            }
        }
    }

    struct OfflineDeactivate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "offline-deactivate",
            abstract: "On an air-gapped machine: write a deactivation receipt for its machine file (no network); stop using the file.")
        @Option(help: "The machine file.") var file: String
        @Option(name: .customLong("license-key"), help: "The license key (TOLLGATE_LICENSE_KEY).") var licenseKey: String?
        @Option(help: "The machine's fingerprint (needed for an encrypted file).") var fingerprint: String?
        @Option(name: .shortAndLong, help: "Write the receipt here instead of standard output.") var output: String?
        func run() async throws {
            try await runAdmin {
                guard let key = licenseKey ?? ProcessInfo.processInfo.environment["TOLLGATE_LICENSE_KEY"] else {
                    throw CommandFailure(description: "Give --license-key or set TOLLGATE_LICENSE_KEY.", exitCode: 64)
                }
                let content: LicenseFileContent
                switch LicenseFile.open(try readText(file), licenseKey: key, fingerprint: fingerprint) {
                case .success(let opened): content = opened
                case .failure(let error): throw CommandFailure(description: "\(error.code): \(error.message)", exitCode: 1)
                }
                try emit(try OfflineDeactivationReceipt.make(machineFile: content, licenseKey: key, now: Date()), to: output)
            }
        }
    }

    struct SubmitReceipt: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "submit-receipt", abstract: "On a connected machine: submit a deactivation receipt, freeing the seat.")
        @Argument(help: "The receipt file ('-' for standard input).") var receipt: String
        @OptionGroup var client: ClientOptions
        func run() async throws {
            try await runAdmin {
                Output.object(
                    try await client.client.send("POST", "/v1/machines/offline-deactivations", body: ["receipt": .string(try readText(receipt))]),
                    client.selection)
            }
        }
    }
}

extension ClientOptions {
    /// `-q` on a machine answer prints the machine id.
    var machineSelection: Output.Selection {
        quiet ? .field("machine.id") : selection
    }
}
