import ArgumentParser
import Foundation
import TollgateFormats

struct Users: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Invite, list and change the staff users of the admin portal (and customers' portal users).",
        discussion: """
            An invitation prints a link that works once (for TOLLGATE_INVITATION_DAYS, default 7): the user opens it, \
            chooses a password and is signed in. Pass it on yourself. Roles are those of API tokens (tollgate tokens --help); \
            a token invites and changes only users whose role can do no more than its own.
            """,
        subcommands: [Invite.self, List.self, SetRole.self, Disable.self, Enable.self, Reinvite.self, RequireTwoFactor.self])
    static let columns = ["id", "email", "name", "role", "status", "twoFactor", "customerId"]

    struct Invite: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Invite a staff user (--role) or a customer's portal user (--customer); prints the one-time link (--field invitation.url: only the link).")
        @Option(help: "The user's email address, which it signs in with.") var email: String
        @Option(help: "The user's name.") var name: String
        @Option(help: "A staff user's role: owner, admin, developer, support, sales, read-only or moderator.") var role: String?
        @Option(help: "Invite a portal user of this customer instead of a staff user.") var customer: String?
        @OptionGroup var client: ClientOptions
        func validate() throws {
            guard (role == nil) != (customer == nil) else { throw ValidationError("Give --role for a staff user or --customer for a customer's user.") }
        }
        func run() async throws {
            try await runAdmin {
                let path = customer.map { "/v1/customers/\($0)/users" } ?? "/v1/users"
                let body = fields([("email", .string(email)), ("name", .string(name)), ("role", string(role))])
                Output.object(try await client.client.send("POST", path, body: body), client.selection)
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the staff users (or a customer's portal users with --customer).")
        @Option(help: "List this customer's portal users.") var customer: String?
        @OptionGroup var page: PageOptions
        @OptionGroup var client: ClientOptions
        func run() async throws {
            try await runAdmin {
                let path = customer.map { "/v1/customers/\($0)/users" } ?? "/v1/users"
                Output.table(try await client.client.send("GET", path, query: page.query), columns: Users.columns, json: client.json)
            }
        }
    }

    struct SetRole: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "set-role", abstract: "Change a staff user's role (audited as user.role_changed).")
        @Argument var id: String
        @Argument(help: "The new role.") var role: String
        @OptionGroup var client: ClientOptions
        func run() async throws {
            try await runAdmin {
                Output.object(try await client.client.send("PATCH", "/v1/users/\(id)", body: ["role": .string(role)]), client.selection)
            }
        }
    }

    struct Disable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Disable a staff user: signed out everywhere, cannot sign in.")
        @Argument var id: String
        @OptionGroup var client: ClientOptions
        func run() async throws {
            try await runAdmin {
                Output.object(try await client.client.send("PATCH", "/v1/users/\(id)", body: ["status": .string("disabled")]), client.selection)
            }
        }
    }

    struct Enable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Let a disabled staff user sign in again.")
        @Argument var id: String
        @OptionGroup var client: ClientOptions
        func run() async throws {
            try await runAdmin {
                Output.object(try await client.client.send("PATCH", "/v1/users/\(id)", body: ["status": .string("active")]), client.selection)
            }
        }
    }

    struct Reinvite: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Make a new invitation link for a user who has not joined; earlier links stop working.")
        @Argument var id: String
        @OptionGroup var client: ClientOptions
        func run() async throws {
            try await runAdmin { Output.object(try await client.client.send("POST", "/v1/users/\(id)/invitation"), client.selection) }
        }
    }

    struct RequireTwoFactor: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "require-two-factor",
            abstract: "Require (or, with --off, stop requiring) a two-factor code at every staff sign-in. Owners only.")
        @Flag(help: "Stop requiring it.") var off = false
        @OptionGroup var client: ClientOptions
        func run() async throws {
            try await runAdmin {
                Output.object(try await client.client.send("PATCH", "/v1/account", body: ["requireTwoFactor": .bool(!off)]), client.selection)
            }
        }
    }
}
