import ArgumentParser
import Foundation
import TollgateFormats

struct Tokens: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create, list and revoke API tokens.",
        discussion: """
            Roles: owner, admin, developer, support, sales, read-only, moderator (the README lists what each may do). \
            A token creates and revokes only tokens whose role can do no more than its own; the account's last owner token \
            stays until another owner credential exists (another owner token, or an owner who has joined the admin portal).
            """,
        subcommands: [Create.self, List.self, Revoke.self])
    static let columns = ["id", "name", "role", "productId", "prefix", "expiresAt", "lastUsedAt"]

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a token; prints its secret, once (--field secret: only the secret).")
        @Argument(help: "A name to tell the token by.") var name: String
        @Option(help: "owner, admin, developer, support, sales, read-only or moderator.") var role: String
        @Option(help: "When it stops working, e.g. 2027-01-31T00:00:00Z; default: never.") var expiresAt: String?
        @Option(help: "Confine the token to this product's licenses, policies, machines and usage (and the account's customers).") var product: String?
        @OptionGroup var client: ClientOptions
        func run() async throws {
            try await runAdmin {
                let body = fields([("name", .string(name)), ("role", .string(role)), ("expiresAt", string(expiresAt)), ("productId", string(product))])
                Output.object(try await client.client.send("POST", "/v1/tokens", body: body), client.selection)
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the account's live tokens (never their secrets).")
        @OptionGroup var page: PageOptions
        @OptionGroup var client: ClientOptions
        func run() async throws {
            try await runAdmin { Output.table(try await client.client.send("GET", "/v1/tokens", query: page.query), columns: Tokens.columns, json: client.json) }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a token: every replica refuses it from its next request.")
        @Argument var id: String
        @OptionGroup var client: ClientOptions
        func run() async throws { try await runAdmin { Output.object(try await client.client.send("DELETE", "/v1/tokens/\(id)"), client.selection) } }
    }
}
