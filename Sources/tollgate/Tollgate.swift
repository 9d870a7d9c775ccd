import ArgumentParser

/// The `tollgate` command: the server and the tools that talk to it.
@main
struct Tollgate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tollgate",
        abstract: "Self-hosted licensing server: signed license keys, validation, tiers, machines, offline files.",
        discussion: """
            Admin commands talk to a running server over HTTP: set TOLLGATE_URL (default http://127.0.0.1:8080) \
            and TOLLGATE_TOKEN (an API token; its role decides what it may do), or pass --url and --token.

            Exit codes: 0 success; 1 the server refused the request, or the license or file is not valid; \
            3 the server could not be reached; 64 wrong usage.
            """,
        subcommands: [
            Serve.self, Accounts.self, Products.self, Policies.self, Customers.self, Licenses.self, Machines.self, Meters.self, Usage.self, Keys.self,
            Tokens.self, Users.self, Audit.self, Verify.self, Migrate.self,
        ])
}
