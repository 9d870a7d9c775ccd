import Foundation
import Logging
import TollgateDomain

/// Everything `tollgate serve` can be told. Each field has a `--flag` and a `TOLLGATE_*`
/// environment variable (the README's configuration table lists them).
public struct ServerConfiguration: Sendable {
    /// Address to listen on. `TOLLGATE_HOST`, default `127.0.0.1`.
    public var host: String = "127.0.0.1"
    /// Port to listen on; 0 picks a free one. `TOLLGATE_PORT`, default 8080.
    public var port: Int = 8080
    /// Where the SQLite file and the signing keys live. `TOLLGATE_DATA_DIR`, default `./tollgate-data`.
    public var dataDirectory: String = "./tollgate-data"
    /// `TOLLGATE_LOG_LEVEL`: trace, debug, info, notice, warning, error, critical. Default info.
    public var logLevel: Logger.Level = .info
    /// `TOLLGATE_LOG_FORMAT`: `text` or `json`.
    public var logFormat: LogFormat = .text
    /// On first start, this becomes the default account's admin token. `TOLLGATE_ADMIN_TOKEN`.
    public var adminToken: String?
    /// Signing keys to import into the database at start (a JSON array of stored keys, as
    /// `tollgate keys export` prints); keys already there are left alone. `TOLLGATE_SIGNING_KEYS`.
    public var signingKeysJSON: String?
    /// The key that seals signing keys in the database, base64 of 32 bytes.
    /// `TOLLGATE_KEY_ENCRYPTION_KEY`; see ``KeyEncryptionKey``.
    public var keyEncryptionKey: String?
    /// A file holding the key-encryption key. `--key-encryption-key-file`, `TOLLGATE_KEY_ENCRYPTION_KEY_FILE`.
    public var keyEncryptionKeyFile: String?
    /// Largest accepted request body. `TOLLGATE_MAX_BODY_BYTES`, default 1 MiB.
    public var maxBodyBytes: Int = 1 << 20
    /// How often batched validation logs are written. `TOLLGATE_LOG_FLUSH_MS`, default 500.
    public var validationLogFlushMilliseconds: Int = 500
    /// `postgres://user:password@host:port/database[?schema=NAME]` selects PostgreSQL instead of
    /// the SQLite file in the data directory. `TOLLGATE_DATABASE_URL`.
    public var databaseURL: String?
    /// How often the machine sweep runs (dead machines, cluster drains, expired leases).
    /// `TOLLGATE_SWEEP_INTERVAL_SECONDS`, default 15.
    public var sweepIntervalSeconds: Int = 15
    /// Days raw usage events are kept before the retention job deletes them (counters stay).
    /// At least ``usageLateDays`` plus one, so dedup stays exact for every event the server would
    /// still take. `TOLLGATE_USAGE_RETENTION_DAYS`, default 90.
    public var usageRetentionDays: Int = 90
    /// How many days back (by its timestamp) a usage event is still taken. `TOLLGATE_USAGE_LATE_DAYS`,
    /// 1 to 365, default 35.
    public var usageLateDays: Int = 35
    /// How many minutes ahead of the server's clock an event's timestamp may be (senders' clocks
    /// drift). `TOLLGATE_USAGE_AHEAD_MINUTES`, 0 to 1440, default 5.
    public var usageAheadMinutes: Int = 5
    /// How often an idle job runner looks for due jobs (a read). `TOLLGATE_JOB_POLL_MS`, default 1000.
    public var jobPollMilliseconds: Int = 1000
    /// How long a claimed job is held before another runner may take it over: the delay before a
    /// job whose runner was killed runs again. `TOLLGATE_JOB_LEASE_SECONDS`, default 60.
    public var jobLeaseSeconds: Int = 60
    /// How long a connection may stay open without a complete request part arriving: an idle
    /// keep-alive connection, or a request head sent too slowly. `TOLLGATE_IDLE_TIMEOUT_SECONDS`, default 60.
    public var idleTimeoutSeconds: Int = 60
    /// How long a request may take to arrive, from its head to the end of its body.
    /// `TOLLGATE_READ_TIMEOUT_SECONDS`, default 30.
    public var readTimeoutSeconds: Int = 30
    /// The address people reach the server at, e.g. `https://licensing.example.com`: invitation
    /// links start with it, and when it is `https` the portals' cookies are `Secure`.
    /// `TOLLGATE_PUBLIC_URL`; without it links use the request's `Host` (or, on first start, the
    /// listening address) over `http`.
    public var publicURL: String?
    /// The one web origin (e.g. `https://app.example.com`) whose scripts may call the API from a
    /// browser (CORS, through Hummingbird's `CORSMiddleware`); without it no answer allows another
    /// origin. `TOLLGATE_CORS_ORIGIN`.
    public var corsOrigin: String?
    /// Which internal addresses webhook endpoints may reach besides public ones (``EgressPolicy``):
    /// `TOLLGATE_WEBHOOK_ALLOW`, comma-separated `loopback`, `private`, `link-local`; default none.
    public var webhookEgress = EgressPolicy()
    /// How often the webhook deliverer looks for new events and due deliveries.
    /// `TOLLGATE_WEBHOOK_POLL_MS`, default 100.
    public var webhookPollMilliseconds: Int = 100
    /// How long one webhook attempt may take in all (connecting, sending, the answer);
    /// `TOLLGATE_WEBHOOK_TIMEOUT_MS`, default 15000. Connecting alone gets at most 5 s.
    public var webhookTimeoutMilliseconds: Int = 15_000
    /// Whether the API's rate limits apply (README, "Rate limits"). `TOLLGATE_RATE_LIMITS`, `on`
    /// (default) or `off` (when a proxy in front limits instead).
    public var rateLimitsEnabled = true
    /// The proxies whose `X-Forwarded-For` names the client (``ClientAddress``): addresses or CIDR
    /// ranges, comma-separated. `TOLLGATE_TRUSTED_PROXIES`; default none, so the peer's address counts.
    public var trustedProxies: [AddressRange] = []
    /// Failed validations and authentications with a license key or machine token one client
    /// address may have per minute before its key-checking requests get 429.
    /// `TOLLGATE_FAILED_ATTEMPTS_PER_MINUTE`, default 30.
    public var failedAttemptsPerMinute = 30
    /// Where notification emails go out (``SMTPSettings``), from the `TOLLGATE_SMTP_*` settings;
    /// without `TOLLGATE_SMTP_HOST` none are sent (the log says `not sent: no SMTP configured`).
    public var smtp: SMTPSettings?
    /// How long a portal session lasts from sign-in. `TOLLGATE_SESSION_HOURS`, default 12.
    public var sessionHours: Int = 12
    /// How long an invitation link works. `TOLLGATE_INVITATION_DAYS`, default 7.
    public var invitationDays: Int = 7

    public enum LogFormat: String, Sendable, CaseIterable {
        case text, json
    }

    public init() {}

    /// The SQLite file inside the data directory.
    public var databasePath: String { (dataDirectory as NSString).appendingPathComponent("tollgate.sqlite") }
    /// The folder of signing key files inside the data directory.
    public var keysDirectory: String { (dataDirectory as NSString).appendingPathComponent("keys") }
    /// The key-encryption key generated on first start when none is set.
    public var generatedKeyEncryptionKeyPath: String { (dataDirectory as NSString).appendingPathComponent("key-encryption-key") }

    /// The configuration with every `TOLLGATE_*` variable in `environment` applied.
    public func applying(environment: [String: String]) throws -> ServerConfiguration {
        var config = self
        if let value = environment["TOLLGATE_HOST"] { config.host = value }
        if let value = environment["TOLLGATE_PORT"] {
            guard let port = Int(value), (0...65535).contains(port) else { throw ConfigurationError("TOLLGATE_PORT must be a port number, not '\(value)'.") }
            config.port = port
        }
        if let value = environment["TOLLGATE_DATA_DIR"] { config.dataDirectory = value }
        if let value = environment["TOLLGATE_LOG_LEVEL"] {
            guard let level = Logger.Level(rawValue: value) else { throw ConfigurationError("TOLLGATE_LOG_LEVEL '\(value)' is not a log level.") }
            config.logLevel = level
        }
        if let value = environment["TOLLGATE_LOG_FORMAT"] {
            guard let format = LogFormat(rawValue: value) else { throw ConfigurationError("TOLLGATE_LOG_FORMAT must be 'text' or 'json'.") }
            config.logFormat = format
        }
        if let value = environment["TOLLGATE_ADMIN_TOKEN"], !value.isEmpty { config.adminToken = value }
        if let value = environment["TOLLGATE_SIGNING_KEYS"], !value.isEmpty { config.signingKeysJSON = value }
        if let value = environment["TOLLGATE_KEY_ENCRYPTION_KEY"], !value.isEmpty { config.keyEncryptionKey = value }
        if let value = environment["TOLLGATE_KEY_ENCRYPTION_KEY_FILE"], !value.isEmpty { config.keyEncryptionKeyFile = value }
        if let value = environment["TOLLGATE_MAX_BODY_BYTES"] {
            guard let bytes = Int(value), bytes >= 1024 else { throw ConfigurationError("TOLLGATE_MAX_BODY_BYTES must be a number of bytes of at least 1024.") }
            config.maxBodyBytes = bytes
        }
        if let value = environment["TOLLGATE_LOG_FLUSH_MS"] {
            guard let millis = Int(value), millis >= 10 else { throw ConfigurationError("TOLLGATE_LOG_FLUSH_MS must be at least 10.") }
            config.validationLogFlushMilliseconds = millis
        }
        if let value = environment["TOLLGATE_DATABASE_URL"], !value.isEmpty { config.databaseURL = value }
        if let value = environment["TOLLGATE_SWEEP_INTERVAL_SECONDS"] {
            guard let seconds = Int(value), (1...3600).contains(seconds) else {
                throw ConfigurationError("TOLLGATE_SWEEP_INTERVAL_SECONDS must be between 1 and 3600.")
            }
            config.sweepIntervalSeconds = seconds
        }
        if let value = environment["TOLLGATE_USAGE_LATE_DAYS"] {
            guard let days = Int(value), (1...365).contains(days) else { throw ConfigurationError("TOLLGATE_USAGE_LATE_DAYS must be between 1 and 365.") }
            config.usageLateDays = days
        }
        if let value = environment["TOLLGATE_USAGE_AHEAD_MINUTES"] {
            guard let minutes = Int(value), (0...1440).contains(minutes) else {
                throw ConfigurationError("TOLLGATE_USAGE_AHEAD_MINUTES must be between 0 and 1440.")
            }
            config.usageAheadMinutes = minutes
        }
        if let value = environment["TOLLGATE_USAGE_RETENTION_DAYS"] {
            guard let days = Int(value), (1...36_500).contains(days) else {
                throw ConfigurationError("TOLLGATE_USAGE_RETENTION_DAYS must be between 1 and 36500.")
            }
            config.usageRetentionDays = days
        }
        guard config.usageRetentionDays > config.usageLateDays else {
            throw ConfigurationError(
                "TOLLGATE_USAGE_RETENTION_DAYS (\(config.usageRetentionDays)) must be at least TOLLGATE_USAGE_LATE_DAYS (\(config.usageLateDays)) plus one: an event taken late must still find its id to be deduplicated.")
        }
        if let value = environment["TOLLGATE_JOB_POLL_MS"] {
            guard let millis = Int(value), (10...60_000).contains(millis) else { throw ConfigurationError("TOLLGATE_JOB_POLL_MS must be between 10 and 60000.") }
            config.jobPollMilliseconds = millis
        }
        if let value = environment["TOLLGATE_JOB_LEASE_SECONDS"] {
            guard let seconds = Int(value), (3...3600).contains(seconds) else {
                throw ConfigurationError("TOLLGATE_JOB_LEASE_SECONDS must be between 3 and 3600.")
            }
            config.jobLeaseSeconds = seconds
        }
        if let value = environment["TOLLGATE_IDLE_TIMEOUT_SECONDS"] {
            guard let seconds = Int(value), (1...3600).contains(seconds) else {
                throw ConfigurationError("TOLLGATE_IDLE_TIMEOUT_SECONDS must be between 1 and 3600.")
            }
            config.idleTimeoutSeconds = seconds
        }
        if let value = environment["TOLLGATE_READ_TIMEOUT_SECONDS"] {
            guard let seconds = Int(value), (1...3600).contains(seconds) else {
                throw ConfigurationError("TOLLGATE_READ_TIMEOUT_SECONDS must be between 1 and 3600.")
            }
            config.readTimeoutSeconds = seconds
        }
        if let value = environment["TOLLGATE_PUBLIC_URL"], !value.isEmpty { config.publicURL = value }
        if let value = environment["TOLLGATE_CORS_ORIGIN"], !value.isEmpty {
            guard let url = URL(string: value), ["http", "https"].contains(url.scheme ?? ""), url.host != nil, url.path.isEmpty else {
                throw ConfigurationError("TOLLGATE_CORS_ORIGIN must be an origin such as https://app.example.com, not '\(value)'.")
            }
            config.corsOrigin = value
        }
        if let value = environment["TOLLGATE_WEBHOOK_ALLOW"] {
            guard let policy = EgressPolicy(setting: value) else {
                throw ConfigurationError("TOLLGATE_WEBHOOK_ALLOW lists any of loopback, private, link-local (comma-separated), not '\(value)'.")
            }
            config.webhookEgress = policy
        }
        if let value = environment["TOLLGATE_RATE_LIMITS"] {
            guard ["on", "off"].contains(value) else { throw ConfigurationError("TOLLGATE_RATE_LIMITS is 'on' or 'off', not '\(value)'.") }
            config.rateLimitsEnabled = value == "on"
        }
        if let value = environment["TOLLGATE_TRUSTED_PROXIES"], !value.isEmpty {
            var ranges: [AddressRange] = []
            for item in value.split(separator: ",") {
                guard let range = AddressRange(item.trimmingCharacters(in: .whitespaces)) else {
                    throw ConfigurationError("TOLLGATE_TRUSTED_PROXIES lists IP addresses or CIDR ranges (10.0.0.0/8, ::1), not '\(item)'.")
                }
                ranges.append(range)
            }
            config.trustedProxies = ranges
        }
        if let value = environment["TOLLGATE_FAILED_ATTEMPTS_PER_MINUTE"] {
            guard let count = Int(value), (1...100_000).contains(count) else {
                throw ConfigurationError("TOLLGATE_FAILED_ATTEMPTS_PER_MINUTE must be between 1 and 100000.")
            }
            config.failedAttemptsPerMinute = count
        }
        if let value = environment["TOLLGATE_WEBHOOK_POLL_MS"] {
            guard let millis = Int(value), (10...60_000).contains(millis) else { throw ConfigurationError("TOLLGATE_WEBHOOK_POLL_MS must be between 10 and 60000.") }
            config.webhookPollMilliseconds = millis
        }
        if let value = environment["TOLLGATE_WEBHOOK_TIMEOUT_MS"] {
            guard let millis = Int(value), (100...60_000).contains(millis) else { throw ConfigurationError("TOLLGATE_WEBHOOK_TIMEOUT_MS must be between 100 and 60000.") }
            config.webhookTimeoutMilliseconds = millis
        }
        if let value = environment["TOLLGATE_SESSION_HOURS"] {
            guard let hours = Int(value), (1...720).contains(hours) else { throw ConfigurationError("TOLLGATE_SESSION_HOURS must be between 1 and 720.") }
            config.sessionHours = hours
        }
        if let value = environment["TOLLGATE_INVITATION_DAYS"] {
            guard let days = Int(value), (1...90).contains(days) else { throw ConfigurationError("TOLLGATE_INVITATION_DAYS must be between 1 and 90.") }
            config.invitationDays = days
        }
        config.smtp = try Self.smtpSettings(environment)
        try config.checkPublicURL()
        return config
    }

    /// `TOLLGATE_SMTP_HOST` (without it, `nil`), `_PORT` (587 with STARTTLS, 465 with TLS, 25
    /// without), `_SECURITY` (`starttls`, the default, `tls` or `none`), `_USER` and `_PASSWORD`
    /// (both or neither), `_FROM` (required: `address` or `Name <address>`), `_CA_FILE`.
    static func smtpSettings(_ environment: [String: String]) throws -> SMTPSettings? {
        guard let host = environment["TOLLGATE_SMTP_HOST"], !host.isEmpty else { return nil }
        var security = SMTPSettings.Security.starttls
        if let value = environment["TOLLGATE_SMTP_SECURITY"] {
            guard let parsed = SMTPSettings.Security(rawValue: value) else { throw ConfigurationError("TOLLGATE_SMTP_SECURITY must be starttls, tls or none, not '\(value)'.") }
            security = parsed
        }
        var port = security == .tls ? 465 : security == .none ? 25 : 587
        if let value = environment["TOLLGATE_SMTP_PORT"] {
            guard let parsed = Int(value), (1...65_535).contains(parsed) else { throw ConfigurationError("TOLLGATE_SMTP_PORT must be a port number, not '\(value)'.") }
            port = parsed
        }
        let (user, password) = (environment["TOLLGATE_SMTP_USER"].flatMap { $0.isEmpty ? nil : $0 }, environment["TOLLGATE_SMTP_PASSWORD"])
        guard (user == nil) == (password == nil) else { throw ConfigurationError("TOLLGATE_SMTP_USER and TOLLGATE_SMTP_PASSWORD go together.") }
        guard let fromText = environment["TOLLGATE_SMTP_FROM"], let from = Self.mailAddress(fromText) else {
            throw ConfigurationError("TOLLGATE_SMTP_FROM must be the sender's address, such as licensing@example.com or \"Example <licensing@example.com>\".")
        }
        if let caFile = environment["TOLLGATE_SMTP_CA_FILE"], !FileManager.default.isReadableFile(atPath: caFile) {
            throw ConfigurationError("TOLLGATE_SMTP_CA_FILE names no readable file: '\(caFile)'.")
        }
        return SMTPSettings(host: host, port: port, security: security, username: user, password: password, from: from, caFile: environment["TOLLGATE_SMTP_CA_FILE"])
    }

    /// `address` or `Name <address>`, when the address is one SMTP carries.
    static func mailAddress(_ text: String) -> MailAddress? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed.hasSuffix(">"), let open = trimmed.lastIndex(of: "<") {
            let address = String(trimmed[trimmed.index(after: open)..<trimmed.index(before: trimmed.endIndex)])
            let name = trimmed[..<open].trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "\""))
            return MailAddress.isValid(address) ? MailAddress(address, name: name.isEmpty ? nil : name) : nil
        }
        return MailAddress.isValid(trimmed) ? MailAddress(trimmed) : nil
    }

    /// Refuses a public URL that is not an absolute `http` or `https` address without a path.
    public func checkPublicURL() throws {
        guard let publicURL else { return }
        guard let url = URL(string: publicURL), ["http", "https"].contains(url.scheme ?? ""), url.host != nil, url.path.isEmpty || url.path == "/",
            url.query == nil
        else { throw ConfigurationError("The public URL must be an http or https address without a path, like https://licensing.example.com; not '\(publicURL)'.") }
    }

    /// Where links to this server start: the public URL without a trailing slash, else `http://`
    /// and `host` (a request's `Host`, or the listening address).
    public func publicBase(host: String) -> String {
        guard let publicURL else { return "http://\(host)" }
        return publicURL.hasSuffix("/") ? String(publicURL.dropLast()) : publicURL
    }

    /// Whether the portals are reached over TLS (their cookies are then `Secure`).
    public var isPublicHTTPS: Bool { publicURL?.lowercased().hasPrefix("https://") ?? false }
}

/// A configuration value that cannot be used.
public struct ConfigurationError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
