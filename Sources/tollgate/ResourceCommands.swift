import ArgumentParser
import Foundation
import TollgateDomain
import TollgateFormats

/// Parses repeated `key=value` options into metadata.
func metadataValue(_ pairs: [String]) throws -> JSONValue? {
    guard !pairs.isEmpty else { return nil }
    var members: [String: JSONValue] = [:]
    for pair in pairs {
        let parts = pair.split(separator: "=", maxSplits: 1)
        guard parts.count == 2 else { throw ValidationError("--metadata takes key=value, not '\(pair)'.") }
        members[String(parts[0])] = .string(String(parts[1]))
    }
    return .object(members)
}

/// Fields of a body from optional values; absent ones are left out.
func fields(_ pairs: [(String, JSONValue?)]) -> [String: JSONValue] {
    Dictionary(uniqueKeysWithValues: pairs.compactMap { key, value in value.map { (key, $0) } })
}

/// Parses repeated `--option key=value` options into an object; `nil` when none.
func pairs(_ specs: [String], option: String) throws -> JSONValue? {
    var members: [String: JSONValue] = [:]
    for spec in specs {
        let parts = spec.split(separator: "=", maxSplits: 1).map(String.init)
        guard parts.count == 2 else { throw ValidationError("\(option) takes key=value, not '\(spec)'.") }
        members[parts[0]] = .string(parts[1])
    }
    return members.isEmpty ? nil : .object(members)
}

func integer(_ value: Int?) -> JSONValue? { value.map { .integer(Int64($0)) } }
func string(_ value: String?) -> JSONValue? { value.map { .string($0) } }
func strings(_ values: [String]) -> JSONValue? { values.isEmpty ? nil : .array(values.map { .string($0) }) }

/// Parses repeated `--limit code=VALUE[/period]` options (VALUE a whole number or `unlimited`)
/// into a policy's `limits` and `limitPeriods`.
func limitValues(_ specs: [String]) throws -> (limits: JSONValue?, periods: JSONValue?) {
    var limits: [String: JSONValue] = [:], periods: [String: JSONValue] = [:]
    for spec in specs {
        let parts = spec.split(separator: "=", maxSplits: 1).map(String.init)
        let valueAndPeriod = parts.count == 2 ? parts[1].split(separator: "/", maxSplits: 1).map(String.init) : []
        guard parts.count == 2, let value = valueAndPeriod.first, value == "unlimited" || Int(value) != nil else {
            throw ValidationError("--limit takes code=NUMBER or code=unlimited, optionally /PERIOD (hour, day, month, year): not '\(spec)'.")
        }
        limits[parts[0]] = value == "unlimited" ? .string(value) : .integer(Int64(value)!)
        if valueAndPeriod.count == 2 { periods[parts[0]] = .string(valueAndPeriod[1]) }
    }
    return (limits.isEmpty ? nil : .object(limits), periods.isEmpty ? nil : .object(periods))
}

struct Products: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Manage products.", subcommands: [Create.self, List.self, Show.self, AddEntitlement.self, Entitlements.self])
    static let columns = ["id", "code", "name", "createdAt"]

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a product.")
        @Option(help: "Unique short handle, e.g. workflow-engine.") var code: String
        @Option(help: "Display name.") var name: String
        @Option(help: "key=value, repeatable.") var metadata: [String] = []
        @OptionGroup var client: ClientOptions
        func run() async throws {
            try await runAdmin {
                let body = fields([("code", .string(code)), ("name", .string(name)), ("metadata", try metadataValue(metadata))])
                Output.object(try await client.client.send("POST", "/v1/products", body: body), client.selection)
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List products.")
        @OptionGroup var page: PageOptions
        @OptionGroup var client: ClientOptions
        func run() async throws {
            try await runAdmin {
                Output.table(try await client.client.send("GET", "/v1/products", query: page.query), columns: Products.columns, json: client.json)
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a product.")
        @Argument var id: String
        @OptionGroup var client: ClientOptions
        func run() async throws {
            try await runAdmin { Output.object(try await client.client.send("GET", "/v1/products/\(id)"), client.selection) }
        }
    }
}

extension Products {
    struct AddEntitlement: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add a feature code to a product's entitlement catalogue (policies and licenses may grant only its codes).")
        @Argument(help: "Product id.") var product: String
        @Option(help: "Feature code, e.g. sso.") var code: String
        @Option(help: "What the feature is.") var description: String?
        @OptionGroup var client: ClientOptions
        func run() async throws {
            try await runAdmin {
                let body = fields([("code", .string(code)), ("description", string(description))])
                Output.object(try await client.client.send("POST", "/v1/products/\(product)/entitlements", body: body), client.selection)
            }
        }
    }

    struct Entitlements: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List a product's entitlement catalogue.")
        @Argument(help: "Product id.") var product: String
        @OptionGroup var page: PageOptions
        @OptionGroup var client: ClientOptions
        func run() async throws {
            try await runAdmin {
                Output.table(
                    try await client.client.send("GET", "/v1/products/\(product)/entitlements", query: page.query), columns: ["code", "description", "id"],
                    json: client.json)
            }
        }
    }
}

/// `--limit` and `--cursor`.
struct PageOptions: ParsableArguments {
    @Option(help: "Page size, 1 to 100.") var limit: Int?
    @Option(help: "Cursor from the previous page.") var cursor: String?
    var query: [String: String] { fields([("limit", limit.map { .string(String($0)) }), ("cursor", string(cursor))]).mapValues(\.cell) }
}

struct Policies: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Manage policies (tiers).", subcommands: [Create.self, Preset.self, List.self, Show.self])
    static let columns = ["id", "name", "productId", "durationDays", "machineBinding", "maxMachines"]

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a policy.")
        @Option(help: "Product id.") var product: String
        @Option(help: "Tier name.") var name: String
        @Option(help: "Days a license runs; leave out for perpetual.") var durationDays: Int?
        @Option(help: "node-locked or floating (default floating).") var machineBinding: String?
        @Option(help: "Machines at once (floating).") var maxMachines: Int?
        @Option(help: "Feature code of the product's catalogue, repeatable; * grants all.") var entitlement: [String] = []
        @Option(help: "A limit: code=NUMBER or code=unlimited, optionally /hour, /day, /month or /year when it resets; repeatable (e.g. --limit seats=5 --limit gpu-hours=100/month).")
        var limit: [String] = []
        @Option(help: "The limit code concurrent leases count against (default concurrentExecutions).") var leaseLimit: String?
        @Flag(help: "Allow cloud deployment.") var cloudDeployment = false
        @Option(help: "Days after expiry that still validate (default 0).") var gracePeriodDays: Int?
        @Option(help: "Days an app may run offline (default 30).") var offlineGraceDays: Int?
        @Option(help: "restrict-access, keep-read-only or revoke.") var expirationStrategy: String?
        @Option(help: "How a limit with a period is enforced against its meter: code=block or code=allow-overage (the default); repeatable.")
        var enforce: [String] = []
        @Option(help: "The tier's rank among the product's tiers, lowest first (default 0).") var rank: Int?
        @Flag(help: "The tier's licenses opt into telemetry: events of telemetry meters are taken for them.") var telemetry = false
        @OptionGroup var client: ClientOptions

        func run() async throws {
            try await runAdmin {
                let (limits, periods) = try limitValues(limit)
                let body = fields([
                    ("productId", .string(product)), ("name", .string(name)), ("durationDays", integer(durationDays)),
                    ("machineBinding", string(machineBinding)), ("maxMachines", integer(maxMachines)), ("entitlements", strings(entitlement)),
                    ("limits", limits), ("limitPeriods", periods), ("leaseLimit", string(leaseLimit)), ("cloudDeployment", .bool(cloudDeployment)),
                    ("gracePeriodDays", integer(gracePeriodDays)), ("offlineGraceDays", integer(offlineGraceDays)),
                    ("expirationStrategy", string(expirationStrategy)), ("limitEnforcement", try pairs(enforce, option: "--enforce")),
                    ("rank", integer(rank)), ("telemetry", telemetry ? .bool(true) : nil),
                ])
                Output.object(try await client.client.send("POST", "/v1/policies", body: body), client.selection)
            }
        }
    }

    struct Preset: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create one of the seed tiers for a product: community, professional or enterprise.")
        @Argument(help: "community, professional or enterprise.") var preset: String
        @Option(help: "Product id.") var product: String
        @OptionGroup var client: ClientOptions
        func run() async throws {
            try await runAdmin {
                let answer = try await client.client.send("POST", "/v1/policies/presets/\(preset)", body: ["productId": .string(product)])
                Output.object(answer, client.selection)
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List policies.")
        @Option(help: "Only this product's.") var product: String?
        @OptionGroup var page: PageOptions
        @OptionGroup var client: ClientOptions
        func run() async throws {
            try await runAdmin {
                var query = page.query
                query["productId"] = product
                Output.table(try await client.client.send("GET", "/v1/policies", query: query), columns: Policies.columns, json: client.json)
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a policy.")
        @Argument var id: String
        @OptionGroup var client: ClientOptions
        func run() async throws {
            try await runAdmin { Output.object(try await client.client.send("GET", "/v1/policies/\(id)"), client.selection) }
        }
    }
}

struct Customers: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Manage customers.", subcommands: [Create.self, List.self, Show.self])
    static let columns = ["id", "name", "email", "createdAt"]

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a customer.")
        @Option var name: String
        @Option var email: String?
        @Option(help: "key=value, repeatable.") var metadata: [String] = []
        @OptionGroup var client: ClientOptions
        func run() async throws {
            try await runAdmin {
                let body = fields([("name", .string(name)), ("email", string(email)), ("metadata", try metadataValue(metadata))])
                Output.object(try await client.client.send("POST", "/v1/customers", body: body), client.selection)
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List customers.")
        @Option(help: "Only the customer with this email.") var email: String?
        @OptionGroup var page: PageOptions
        @OptionGroup var client: ClientOptions
        func run() async throws {
            try await runAdmin {
                var query = page.query
                query["email"] = email
                Output.table(try await client.client.send("GET", "/v1/customers", query: query), columns: Customers.columns, json: client.json)
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a customer.")
        @Argument var id: String
        @OptionGroup var client: ClientOptions
        func run() async throws {
            try await runAdmin { Output.object(try await client.client.send("GET", "/v1/customers/\(id)"), client.selection) }
        }
    }
}
