import ArgumentParser
import Foundation
import Logging
import Synchronization
import TollgateDomain
import TollgateFormats
import TollgateServer

/// `tollgate serve`: runs the server until SIGTERM or SIGINT, then finishes in-flight requests.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the server.",
        discussion: """
            Every option can also be set as an environment variable (TOLLGATE_HOST, TOLLGATE_PORT, TOLLGATE_DATA_DIR, \
            TOLLGATE_LOG_LEVEL, TOLLGATE_LOG_FORMAT); options win over the environment. On first start with an empty \
            store the server creates the default account, its signing key and an admin token: TOLLGATE_ADMIN_TOKEN if \
            set, otherwise a generated token printed once.
            """)

    @OptionGroup var server: ServerOptions

    func run() async throws {
        let configuration = try server.configuration()
        let format = configuration.logFormat
        let level = configuration.logLevel
        LoggingSystem.bootstrap { label in
            var handler: any LogHandler = format == .json ? JSONLogHandler(label: label) : StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let invitation = Mutex<String?>(nil)
        let built = try await buildApplication(configuration) { account, token, ownerInvitation in
            invitation.withLock { $0 = ownerInvitation }
            guard let token else { return }
            say("""
                Created account \(account.id) with an admin token. It is shown only this once:

                    export TOLLGATE_TOKEN=\(token)

                """)
        } onServerRunning: { port in
            let base = configuration.publicBase(host: "\(configuration.host):\(port)")
            if let path = invitation.withLock({ $0 }) {
                say("""
                    Set the owner's password (and email) for the admin portal at this link. It works once, for \(configuration.invitationDays) days:

                        \(base)\(path)

                    """)
            }
            say("Tollgate listening on http://\(configuration.host):\(port) (admin portal: \(base)/admin, customer portal: \(base)/portal)")
        }
        try await built.run()
    }
}

/// Options shared by the commands that open a data directory.
struct ServerOptions: ParsableArguments {
    @Option(help: "Address to listen on (TOLLGATE_HOST, default 127.0.0.1).") var host: String?
    @Option(help: "Port to listen on, 0 for any free port (TOLLGATE_PORT, default 8080).") var port: Int?
    @Option(name: .customLong("data-dir"), help: "Folder of the SQLite file and signing keys (TOLLGATE_DATA_DIR, default ./tollgate-data).")
    var dataDirectory: String?
    @Option(
        name: .customLong("database-url"),
        help: "postgres://user:password@host:port/database[?schema=NAME] to use PostgreSQL instead of SQLite (TOLLGATE_DATABASE_URL).")
    var databaseURL: String?
    @Option(
        name: .customLong("key-encryption-key-file"),
        help: "File of the key that seals signing keys in the database, base64 of 32 bytes (TOLLGATE_KEY_ENCRYPTION_KEY_FILE; or TOLLGATE_KEY_ENCRYPTION_KEY; default the data directory's generated key-encryption-key).")
    var keyEncryptionKeyFile: String?
    @Option(help: "trace, debug, info, notice, warning, error or critical (TOLLGATE_LOG_LEVEL, default info).") var logLevel: String?
    @Option(help: "text or json (TOLLGATE_LOG_FORMAT, default text).") var logFormat: String?
    @Option(
        name: .customLong("public-url"),
        help: "The address people reach the server at, e.g. https://licensing.example.com: invitation links start with it, and https makes the portals' cookies Secure (TOLLGATE_PUBLIC_URL).")
    var publicURL: String?

    func configuration() throws -> ServerConfiguration {
        var config = try ServerConfiguration().applying(environment: ProcessInfo.processInfo.environment)
        if let host { config.host = host }
        if let port {
            guard (0...65535).contains(port) else { throw ValidationError("--port must be from 0 to 65535.") }
            config.port = port
        }
        if let dataDirectory { config.dataDirectory = dataDirectory }
        if let databaseURL { config.databaseURL = databaseURL }
        if let keyEncryptionKeyFile { config.keyEncryptionKeyFile = keyEncryptionKeyFile }
        if let logLevel {
            guard let level = Logger.Level(rawValue: logLevel) else { throw ValidationError("--log-level '\(logLevel)' is not a log level.") }
            config.logLevel = level
        }
        if let publicURL {
            config.publicURL = publicURL
            do { try config.checkPublicURL() } catch let error as ConfigurationError { throw ValidationError(error.description) }
        }
        if let logFormat {
            guard let format = ServerConfiguration.LogFormat(rawValue: logFormat) else { throw ValidationError("--log-format must be text or json.") }
            config.logFormat = format
        }
        return config
    }
}

/// `tollgate accounts create NAME`: adds an account to a data directory.
struct Accounts: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Manage accounts (tenants) in a database.", subcommands: [Create.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create an account with its own signing key and admin token, in one transaction (works on the database directly: SQLite or --database-url).")
        @Argument(help: "The account's name.") var name: String
        @OptionGroup var server: ServerOptions
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let (account, token) = try await createAccount(try server.configuration(), name: name)
            if json {
                print(#"{"accountId":"\#(account.id)","adminToken":"\#(token)"}"#)
            } else {
                print("Created account \(account.id) (\(account.name)). Its admin token, shown only this once:\n\n    \(token)\n")
            }
        }
    }
}

/// Writes a line to standard output unbuffered, so that a redirected log gets it at once.
func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}
