import ArgumentParser
import Foundation
import TollgateDomain
import TollgateFormats
import TollgateServer

struct Licenses: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Issue, list, validate and change licenses.",
        subcommands: [
            Create.self, List.self, Show.self, Validate.self, Suspend.self, Reinstate.self, Renew.self, Revoke.self, ChangePolicy.self,
            CheckOut.self,
        ])
    static let columns = ["id", "status", "tier", "customerId", "expiresAt"]

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Issue a license; prints its signed key.")
        @Option(help: "Policy id.") var policy: String
        @Option(help: "Customer id.") var customer: String
        @Option(help: "ISO 8601 expiry; defaults to now plus the policy's duration.") var expiresAt: String?
        @Option(help: "Extra feature code, repeatable.") var entitlement: [String] = []
        @Option(help: "key=value, repeatable.") var metadata: [String] = []
        @OptionGroup var client: ClientOptions
        func run() async throws {
            try await runAdmin {
                let body = fields([
                    ("policyId", .string(policy)), ("customerId", .string(customer)), ("expiresAt", string(expiresAt)),
                    ("entitlements", strings(entitlement)), ("metadata", try metadataValue(metadata)),
                ])
                Output.object(try await client.client.send("POST", "/v1/licenses", body: body), client.selection)
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List licenses.")
        @Option(help: "active, suspended, expired or revoked.") var status: String?
        @Option var customer: String?
        @Option var product: String?
        @Option var policy: String?
        @Option(help: "Only licenses expiring before this ISO 8601 date.") var expiringBefore: String?
        @OptionGroup var page: PageOptions
        @OptionGroup var client: ClientOptions
        func run() async throws {
            try await runAdmin {
                var query = page.query
                query["status"] = status
                query["customerId"] = customer
                query["productId"] = product
                query["policyId"] = policy
                query["expiringBefore"] = expiringBefore
                Output.table(try await client.client.send("GET", "/v1/licenses", query: query), columns: Licenses.columns, json: client.json)
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a license.")
        @Argument var id: String
        @OptionGroup var client: ClientOptions
        func run() async throws {
            try await runAdmin { Output.object(try await client.client.send("GET", "/v1/licenses/\(id)"), client.selection) }
        }
    }

    struct Validate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Validate a key online, as an app would. Exit code 0 when valid, 1 when not.")
        @Argument(help: "The license key.") var key: String
        @Option(help: "Require this product id.") var product: String?
        @Option(help: "Require this machine fingerprint.") var fingerprint: String?
        @Option(help: "Require this feature code, repeatable.") var entitlement: [String] = []
        @OptionGroup var client: ClientOptions
        func run() async throws {
            try await runAdmin {
                let scope = fields([("productId", string(product)), ("fingerprint", string(fingerprint)), ("entitlements", strings(entitlement))])
                let answer = try await client.client.send(
                    "POST", "/v1/licenses/validate", body: fields([("key", .string(key)), ("scope", scope.isEmpty ? nil : .object(scope))]))
                if client.json {
                    Output.json(answer)
                } else {
                    print("\(answer["code"]?.cell ?? "?")  valid=\(answer["valid"]?.cell ?? "?")")
                    if case .array(let reasons)? = answer["reasons"] { reasons.forEach { print("  - \($0["message"]?.cell ?? "")") } }
                    if let license = answer["license"], license != .null {
                        print("  license \(license["id"]?.cell ?? "") tier \(license["tier"]?.cell ?? "") expires \(license["expiresAt"]?.cell ?? "-")")
                    }
                }
                if answer["valid"] != .bool(true) { throw ExitCode(1) }
            }
        }
    }

    struct Suspend: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Suspend a license.")
        @Argument var id: String
        @OptionGroup var client: ClientOptions
        func run() async throws { try await act(id, "suspend", client) }
    }

    struct Reinstate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Reinstate a suspended license.")
        @Argument var id: String
        @OptionGroup var client: ClientOptions
        func run() async throws { try await act(id, "reinstate", client) }
    }

    struct Renew: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Extend a license by its policy's duration.")
        @Argument var id: String
        @OptionGroup var client: ClientOptions
        func run() async throws { try await act(id, "renew", client) }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a license for good.")
        @Argument var id: String
        @OptionGroup var client: ClientOptions
        func run() async throws { try await act(id, "revoke", client) }
    }

    struct ChangePolicy: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "change-policy", abstract: "Move a license to another policy of its product.")
        @Argument var id: String
        @Option(help: "The new policy id.") var policy: String
        @OptionGroup var client: ClientOptions
        func run() async throws { try await act(id, "change-policy", client, body: ["policyId": .string(policy)]) }
    }
}

extension Licenses {
    struct CheckOut: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "check-out", abstract: "Write a signed license file for offline use (admin token or --license-key).")
        @Argument var id: String
        @OptionGroup var file: CheckOutOptions
        @OptionGroup var client: ClientOptions
        func run() async throws {
            try await runAdmin {
                try file.write(try await client.client.send("POST", "/v1/licenses/\(id)/actions/check-out", body: file.body))
            }
        }
    }
}

private func act(_ id: String, _ action: String, _ client: ClientOptions, body: [String: JSONValue] = [:]) async throws {
    try await runAdmin {
        Output.object(try await client.client.send("POST", "/v1/licenses/\(id)/actions/\(action)", body: body), client.selection)
    }
}

struct Keys: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Manage the account's signing keys.", subcommands: [List.self, Rotate.self, Retire.self, Generate.self, Export.self, Import.self])

    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print every account's signing keys, opened, as JSON (private keys: handle with care).",
            discussion: """
                Reads the database the options name (the data directory's SQLite file, or --database-url) and opens the keys \
                with its key-encryption key. 'tollgate keys import' reads the output on another installation.
                """)
        @OptionGroup var server: ServerOptions
        func run() async throws {
            print(try await exportSigningKeys(try server.configuration()))
        }
    }

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add signing keys (JSON, as 'tollgate keys export' prints) to a database, sealed under its key-encryption key.",
            discussion: "Keys whose id the database has already are left alone, so importing twice adds nothing. Reads standard input without --file.")
        @Option(help: "The file of keys; standard input by default.") var file: String?
        @OptionGroup var server: ServerOptions
        func run() async throws {
            let data = try file.map { try Data(contentsOf: URL(fileURLWithPath: $0)) } ?? FileHandle.standardInput.readDataToEndOfFile()
            let added = try await importSigningKeys(try server.configuration(), json: String(decoding: data, as: UTF8.self))
            print("Imported \(added) signing key\(added == 1 ? "" : "s").")
        }
    }

    struct Generate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print a new signing key as JSON, for 'tollgate keys import' or TOLLGATE_SIGNING_KEYS (no server needed).",
            discussion: """
                Servers keep their keys in the database and make their own; this is for bringing a key made elsewhere. \
                On an empty database the first start creates the default account with the id the first imported key \
                names, so leave --account-id out for a new installation, or give an existing account's id.
                """)
        @Option(help: "The account the key signs for; a new account id by default.") var accountId: String?
        func run() async throws {
            let now = Date()
            let key = SigningKey.generate(accountId: accountId ?? Identifier.make(.account, at: now), now: Date(timeIntervalSince1970: now.timeIntervalSince1970.rounded(.down)))
            let encoder = JSONEncoder()
            encoder.dateEncodingStrategy = .iso8601
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode([key.stored]), as: UTF8.self))
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List signing keys.")
        @OptionGroup var client: ClientOptions
        func run() async throws {
            try await runAdmin {
                Output.table(try await client.client.send("GET", "/v1/keys"), columns: ["kid", "status", "current", "createdAt"], json: client.json)
            }
        }
    }

    struct Rotate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a new signing key; new licenses use it, old keys keep verifying until retired.")
        @OptionGroup var client: ClientOptions
        func run() async throws {
            try await runAdmin { Output.object(try await client.client.send("POST", "/v1/keys/actions/rotate", body: [:]), client.selection) }
        }
    }

    struct Retire: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Retire a signing key: licenses it signed stop verifying.")
        @Argument var kid: String
        @OptionGroup var client: ClientOptions
        func run() async throws {
            try await runAdmin { Output.object(try await client.client.send("POST", "/v1/keys/\(kid)/actions/retire", body: [:]), client.selection) }
        }
    }
}

struct Audit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Read and verify the audit log.", subcommands: [List.self, Verify.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List audit events, newest first.")
        @Option(help: "Only events about this object id.") var object: String?
        @OptionGroup var page: PageOptions
        @OptionGroup var client: ClientOptions
        func run() async throws {
            try await runAdmin {
                var query = page.query
                query["objectId"] = object
                Output.table(
                    try await client.client.send("GET", "/v1/audit-events", query: query),
                    columns: ["sequence", "occurredAt", "actor", "action", "objectId"], json: client.json)
            }
        }
    }

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Recompute the audit hash chain. Exit code 0 when intact, 1 when an entry was changed, removed or reordered.")
        @OptionGroup var client: ClientOptions
        func run() async throws {
            try await runAdmin {
                let answer = try await client.client.send("GET", "/v1/audit-events/verify")
                if client.json {
                    Output.json(answer)
                } else if answer["valid"] == .bool(true) {
                    print("Audit chain intact: \(answer["checked"]?.cell ?? "0") entries checked.")
                } else {
                    print("Audit chain BROKEN at entry \(answer["firstBrokenSequence"]?.cell ?? "?"): \(answer["reason"]?.cell ?? "")")
                }
                if answer["valid"] != .bool(true) { throw ExitCode(1) }
            }
        }
    }
}
