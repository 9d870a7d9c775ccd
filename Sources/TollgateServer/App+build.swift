import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import TollgateDomain
import TollgateFormats
import TollgateStore

/// The running parts of a server, shared by its controllers.
struct AppServices: Sendable {
    let configuration: ServerConfiguration
    let store: Store
    let keys: KeyService
    let clock: any TollgateClock
    let recorder: ValidationRecorder
    let sweeper: MachineSweeper
    let jobs: JobRunner
    /// Makes notification emails (the jobs' planner; invitations call it directly).
    let notifications: NotificationPlanner
    let heartbeats: HeartbeatRecorder
    let refusals: TokenRefusalLog
    /// The API's rate limits, this process's buckets.
    let rateLimits: RateLimits
    let tokens: TokenService
    let licenseKeys: LicenseKeyVerifier
    let startup: Startup
    /// The portals' way to the API (``APIDispatcher``); given the router's responder once built.
    let api: APIDispatcher
}

/// A built server: the Hummingbird application and what its first start produced.
public struct BuiltApplication: Sendable {
    /// The application to run (`try await built.application.runService()`).
    public let application: Application<RouterResponder<AppRequestContext>>
    let services: AppServices

    /// The account created on first start. Known once the server has started (from
    /// `onServerRunning` on).
    public var defaultAccount: Account {
        guard let result = services.startup.result else { preconditionFailure("the server has not started yet") }
        return result.defaultAccount
    }

    /// The admin token generated on first start (when `TOLLGATE_ADMIN_TOKEN` was not set), to print
    /// once. Known once the server has started (from `onServerRunning` on).
    public var generatedAdminToken: String? { services.startup.result?.generatedAdminToken }

    /// The path of the first owner's invitation (`/admin/join/…`), made on first start.
    public var ownerInvitation: String? { services.startup.result?.ownerInvitation }

    /// Creates another account with its own signing key and admin token.
    public func createAccount(name: String) async throws -> (account: Account, adminToken: String) {
        let created = try await AccountProvisioner(store: services.store, keys: services.keys, clock: services.clock).createAccount(name: name)
        return (created.account, created.adminToken)
    }

    /// Runs the server until SIGTERM or SIGINT; in-flight requests complete before it returns.
    public func run() async throws { try await application.runService() }

    /// Writes queued validation logs now (tests and shutdown).
    public func flushValidationLog() async { await services.recorder.flush() }

    /// Writes the queued audit samples of refused machine tokens now (tests and shutdown).
    public func flushTokenRefusals() async { await services.refusals.flush() }

    /// Runs the machine sweep now, on the server's clock, outside the job queue (tests; the server
    /// runs it as a job every `sweepIntervalSeconds`). Returns how many machines died and how
    /// many drains ended.
    @discardableResult
    public func sweepMachines() async throws -> (died: Int, drained: Int) {
        let outcome = try await services.sweeper.sweep()
        return (outcome.died, outcome.drained)
    }

    /// Claims and runs the jobs due now on the server's clock, as the runner does every poll
    /// (tests). Returns how many ran.
    @discardableResult
    public func runDueJobs() async throws -> Int {
        try await services.jobs.schedule()
        return try await services.jobs.runDue()
    }
}

/// Builds the server and wires every route. Nothing is read before the server runs: then its
/// service group starts the database client (PostgreSQL's pool is a service of the group, the
/// first, so it stops last), and in `beforeServerStarts`, before the port is bound, the store is
/// migrated, the signing keys are opened and the default account is created on first start
/// (``Startup``); the services that read the database wait for that. A start that fails there
/// (a wrong key-encryption key, an unreachable database) stops the group with the error.
/// With `startNow` (tests, which read and write the store before and around running the server)
/// the start runs here instead, and the database runs its own client; the server path is the
/// default, and the end-to-end tests run it. `onStarted` gets the default account, the admin token generated on first start and the first
/// owner's invitation path (to print once), before the port is bound. `main` and every test call this.
///
/// ```swift
/// var config = ServerConfiguration()
/// config.dataDirectory = "/tmp/tollgate"
/// let built = try await buildApplication(config)
/// try await built.application.runService()
/// ```
public func buildApplication(
    _ configuration: ServerConfiguration, clock: any TollgateClock = SystemClock(), logger: Logger? = nil,
    startNow: Bool = false,
    onStarted: @escaping @Sendable (_ defaultAccount: Account, _ generatedAdminToken: String?, _ ownerInvitation: String?) async -> Void = { _, _, _ in },
    onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
) async throws -> BuiltApplication {
    // Metrics first: a counter made before the bootstrap would count into nothing.
    _ = MetricsRegistry.shared
    var logger = logger ?? Logger(label: "tollgate")
    logger.logLevel = configuration.logLevel
    let (store, keys) = try prepareDataDirectory(configuration, inGroup: !startNow, logger: logger)
    let startup = Startup()
    let recorder = ValidationRecorder(store: store, logger: logger)
    let heartbeats = HeartbeatRecorder(store: store, logger: logger)
    let refusals = TokenRefusalLog(store: store, clock: clock, logger: logger)
    let batches = BatchWriter(buffers: [recorder, heartbeats, refusals], interval: .milliseconds(configuration.validationLogFlushMilliseconds))
    let sweeper = MachineSweeper(store: store, heartbeats: heartbeats, clock: clock, logger: logger)
    let planner = NotificationPlanner(
        clock: clock, templates: try NotificationTemplates(), linkBase: configuration.publicBase(host: "\(configuration.host):\(configuration.port)"))
    let jobs = JobRunner(
        store: store,
        handlers: [
            sweeper, CleanupJob(clock: clock), UsageRetentionJob(days: configuration.usageRetentionDays, lateDays: configuration.usageLateDays, clock: clock),
            DashboardSnapshotJob(clock: clock),
            planner, RenewalReminders(clock: clock, planner: planner), NotificationSender(clock: clock, settings: configuration.smtp),
        ],
        recurring: [
            .init(kind: MachineSweeper.kind, every: TimeInterval(configuration.sweepIntervalSeconds)), .init(kind: CleanupJob.kind, every: CleanupJob.interval),
            .init(kind: UsageRetentionJob.kind, every: UsageRetentionJob.interval), .init(kind: DashboardSnapshotJob.kind, every: DashboardSnapshotJob.interval),
            .init(kind: NotificationPlanner.kind, every: NotificationPlanner.interval), .init(kind: RenewalReminders.kind, every: RenewalReminders.interval),
        ],
        clock: clock, pollInterval: .milliseconds(configuration.jobPollMilliseconds), lease: TimeInterval(configuration.jobLeaseSeconds),
        logger: logger)
    let webhooks = WebhookDeliverer(
        store: store, sealer: keys.sealer, clock: clock, egress: configuration.webhookEgress,
        pollInterval: .milliseconds(configuration.webhookPollMilliseconds),
        requestTimeout: .milliseconds(Int64(configuration.webhookTimeoutMilliseconds)), logger: logger)
    let services = AppServices(
        configuration: configuration, store: store, keys: keys, clock: clock, recorder: recorder, sweeper: sweeper, jobs: jobs, notifications: planner, heartbeats: heartbeats,
        refusals: refusals, rateLimits: RateLimits(configuration: configuration), tokens: TokenService(keys: keys), licenseKeys: LicenseKeyVerifier(keys: keys), startup: startup,
        api: APIDispatcher(logger: logger))

    let router = try buildRouter(services)
    let responder = router.buildResponder()
    services.api.adopt(responder)
    let readTimeout = TimeAmount.seconds(Int64(configuration.readTimeoutSeconds))
    var application = Application(
        responder: responder,
        server: .http1(
            configuration: .init(
                additionalChannelHandlers: [RequestReadTimeout(timeout: readTimeout)], idleTimeout: .seconds(Int64(configuration.idleTimeoutSeconds)))),
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "Tollgate"),
        // Shut down in reverse order, after the HTTP server: the store goes last, and the database
        // client after it.
        services: [store.database.service].compactMap { $0 } + [
            AfterStartup(startup: startup, service: StoreService(store: store, keys: keys)), batches,
            AfterStartup(startup: startup, service: jobs), AfterStartup(startup: startup, service: webhooks),
            AfterStartup(startup: startup, service: keys),
        ],
        onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? configuration.port) },
        logger: logger)
    let start: @Sendable () async throws -> Void = { [logger] in
        try await startup.run {
            try await startDataDirectory(configuration, store: store, keys: keys, now: clock.now(), logger: logger)
            let started = try await AccountProvisioner(store: store, keys: keys, clock: clock)
                .bootstrap(configuredAdminToken: configuration.adminToken, invitationDays: configuration.invitationDays)
            // Once: a server built with `startNow` and run afterwards does not start again.
            await onStarted(started.defaultAccount, started.generatedToken, started.ownerInvitation)
            return Startup.Result(defaultAccount: started.defaultAccount, generatedAdminToken: started.generatedToken, ownerInvitation: started.ownerInvitation)
        }
    }
    application.beforeServerStarts(perform: start)
    if startNow {
        do {
            try await start()
        } catch {
            try? await store.database.close()
            throw error
        }
    }
    return BuiltApplication(application: application, services: services)
}

/// Every route, in one place: the API, then the portals' pages over it.
func buildRouter(_ services: AppServices) throws -> Router<AppRequestContext> {
    let router = Router(context: AppRequestContext.self)
    router.add(middleware: RequestMetricsMiddleware())
    if !services.configuration.trustedProxies.isEmpty {
        router.add(middleware: ClientAddressMiddleware(trusted: services.configuration.trustedProxies))
    }
    router.add(middleware: ErrorMiddleware(maxBodyBytes: services.configuration.maxBodyBytes, refusals: services.refusals))
    if let origin = services.configuration.corsOrigin {
        // Off unless configured: one origin's scripts may call the API with a bearer credential
        // (never cookies: the portals' sessions are not the API's credentials).
        router.add(
            middleware: CORSMiddleware(
                allowOrigin: .custom(origin), allowHeaders: [.accept, .authorization, .contentType, .origin, HTTPField.Name("Idempotency-Key")!],
                allowMethods: [.get, .post, .patch, .delete, .head, .options], allowCredentials: false, maxAge: .seconds(600)))
    }

    let limits = BodyLimits(maxBodyBytes: services.configuration.maxBodyBytes)
    let writer = ChangeWriter(store: services.store, clock: services.clock)
    OperationsController(store: services.store, keys: services.keys, business: BusinessMetrics(store: services.store, clock: services.clock))
        .addRoutes(to: router)
    ValidationController(
        service: LicenseValidationService(
            store: services.store, keys: services.keys, licenseKeys: services.licenseKeys, clock: services.clock,
            recorder: services.recorder, startup: services.startup, limits: services.rateLimits),
        limits: limits
    ).addRoutes(to: router)
    OfflineController(store: services.store, keys: services.keys, clock: services.clock, limits: limits).addRoutes(to: router)
    TokenController(store: services.store, tokens: services.tokens, refusals: services.refusals, clock: services.clock, limits: limits)
        .addRoutes(to: router)

    let authenticated = router.group("v1").add(
        middleware: AuthenticationMiddleware(
            store: services.store, tokens: services.tokens, licenseKeys: services.licenseKeys, clock: services.clock, limits: services.rateLimits)
    ).add(middleware: RateLimitMiddleware(limits: services.rateLimits, store: services.store)).add(middleware: ProductScope(store: services.store, limits: limits)).add(middleware: IdempotencyMiddleware(store: services.store, limits: limits))
    let v1 = authenticated.group(context: AuthenticatedContext.self)
    let machineRoutes = authenticated.group(context: MachineRouteContext.self)
    let products = ResourceController<Product>(path: "products", writer: writer, store: services.store, limits: limits)
    let policies = ResourceController<Policy>(path: "policies", writer: writer, store: services.store, limits: limits)
    let customers = ResourceController<Customer>(path: "customers", writer: writer, store: services.store, limits: limits)
    products.addRoutes(to: v1)
    PresetController(policies: policies).addRoutes(to: v1)
    EntitlementController(writer: writer, store: services.store, limits: limits).addRoutes(to: v1)
    MeterController(writer: writer, store: services.store, limits: limits).addRoutes(to: v1)
    AnalyticsController(store: services.store, clock: services.clock).addRoutes(to: v1)
    TierController(store: services.store, clock: services.clock).addRoutes(to: machineRoutes)
    policies.addRoutes(to: v1)
    customers.addRoutes(to: v1)
    LicenseController(writer: writer, store: services.store, keys: services.keys, clock: services.clock, limits: limits).addRoutes(to: v1)
    AuditController(store: services.store).addRoutes(to: v1)
    EventController(store: services.store).addRoutes(to: v1)
    NotificationController(store: services.store).addRoutes(to: v1)
    NotificationTemplateController(store: services.store, writer: writer, limits: limits).addRoutes(to: v1)
    AccountController(store: services.store, keys: services.keys, writer: writer, limits: limits).addRoutes(to: v1)
    APITokenController(writer: writer, store: services.store, limits: limits).addRoutes(to: v1)
    WebhookEndpointController(writer: writer, store: services.store, limits: limits, editor: WebhookEndpointEditor(sealer: services.keys.sealer))
        .addRoutes(to: v1)
    UserController(writer: writer, store: services.store, limits: limits, configuration: services.configuration, notifications: services.notifications)
        .addRoutes(to: v1)
    KeyController(keys: services.keys, writer: writer).addRoutes(to: v1)
    MachineController(
        writer: writer, store: services.store, keys: services.keys, tokens: services.tokens, heartbeats: services.heartbeats,
        beats: MachineHeartbeat(store: services.store, heartbeats: services.heartbeats), clock: services.clock, limits: limits
    ).addRoutes(to: machineRoutes, admin: v1)
    LeaseController(writer: writer, store: services.store, clock: services.clock, limits: limits).addRoutes(to: machineRoutes)
    UsageController(
        writer: writer, limits: limits,
        window: UsageIngestor.Window(lateDays: services.configuration.usageLateDays, aheadMinutes: services.configuration.usageAheadMinutes)
    ).addRoutes(to: machineRoutes)
    QuotaController(store: services.store, clock: services.clock, limits: limits).addRoutes(to: machineRoutes)
    try addPortals(to: router, services, limits: limits)
    return router
}

/// The admin portal (`/admin`), the customer portal (`/portal`) and their assets (`/assets`).
func addPortals(to router: Router<AppRequestContext>, _ services: AppServices, limits: BodyLimits) throws {
    let configuration = services.configuration
    let renderer = try PageRenderer()
    let sessions = PageSessions(store: services.store, clock: services.clock)
    let throttle = SignInThrottle()
    let secure = configuration.isPublicHTTPS
    AssetController().addRoutes(to: router)
    for kind in [User.Kind.staff, .customer] {
        let portal = kind == .staff ? "admin" : "portal"
        let group = router.group(RouterPath(portal)).add(middleware: PageMiddleware(portal: portal, renderer: renderer, secure: secure))
        SessionPages(
            kind: kind, renderer: renderer, sessions: sessions,
            signIn: PasswordSignIn(store: services.store, clock: services.clock, throttle: throttle, sessionHours: configuration.sessionHours),
            code: CodeSignIn(store: services.store, clock: services.clock, throttle: throttle),
            enroller: TwoFactorEnroller(store: services.store, clock: services.clock),
            joiner: UserJoiner(store: services.store, clock: services.clock, sessionHours: configuration.sessionHours), limits: limits, secure: secure
        ).addRoutes(to: group)
        if kind == .staff {
            let pages = AdminPages(api: services.api, renderer: renderer, sessions: sessions, limits: limits)
            AdminDashboard(pages: pages, store: services.store, clock: services.clock).addRoutes(to: group)
            AdminController(pages: pages).addRoutes(to: group)
            AdminActions(pages: pages).addRoutes(to: group)
            AdminDetails(pages: pages).addRoutes(to: group)
            AdminWebhooks(pages: pages).addRoutes(to: group)
        } else {
            PortalController(api: services.api, renderer: renderer, sessions: sessions, limits: limits).addRoutes(to: group)
            UnsubscribePages(
                unsubscriber: EmailUnsubscriber(writer: ChangeWriter(store: services.store, clock: services.clock), store: services.store), renderer: renderer
            ).addRoutes(to: group)
        }
        // Any other path under the portal answers the portal's 404 page, not the API's JSON.
        group.get("**") { request, _ -> Response in throw TollgateError.routeNotFound(method: "GET", path: request.uri.path) }
    }
}

/// Creates an account in the database `configuration` names (the data directory's SQLite file or
/// PostgreSQL): the account, its signing key and its first admin token in one transaction.
/// A running server sees the new key within ``KeyService/refreshInterval``, or at once on a miss.
public func createAccount(_ configuration: ServerConfiguration, name: String) async throws -> (account: Account, adminToken: String) {
    try await withDataDirectory(configuration) { store, keys in
        let provisioner = AccountProvisioner(store: store, keys: keys, clock: SystemClock())
        _ = try await provisioner.bootstrap(configuredAdminToken: configuration.adminToken)
        let created = try await provisioner.createAccount(name: name)
        return (created.account, created.adminToken)
    }
}

/// Runs `body` with the store and keys of `configuration` (a command, not a server), then closes the store.
func withDataDirectory<T: Sendable>(
    _ configuration: ServerConfiguration, _ body: (Store, KeyService) async throws -> T
) async throws -> T {
    let (store, keys) = try await openDataDirectory(configuration, now: Date(), logger: Logger(label: "tollgate"))
    do {
        let result = try await body(store, keys)
        try? await store.database.close()
        return result
    } catch {
        try? await store.database.close()
        throw error
    }
}

/// Opens the store (PostgreSQL when `databaseURL` is set, otherwise the SQLite file in the data
/// directory, creating it; migrations run either way), imports signing keys from the data
/// directory's `keys/` files and `TOLLGATE_SIGNING_KEYS` (once: keys already stored are left
/// alone), and opens every stored key with the key-encryption key. A key that does not open
/// stops the start with a message naming the setting.
func openDataDirectory(_ configuration: ServerConfiguration, now: Date, logger: Logger) async throws -> (Store, KeyService) {
    let (store, keys) = try prepareDataDirectory(configuration, inGroup: false, logger: logger)
    do {
        try await startDataDirectory(configuration, store: store, keys: keys, now: now, logger: logger)
        return (store, keys)
    } catch {
        try? await store.database.close()
        throw error
    }
}

/// The store and keys of `configuration` before anything is read: the data directory and the
/// key-encryption key (a missing or malformed setting stops here), the database opened but not
/// touched. With `inGroup`, PostgreSQL's connection pool is left for the caller's service group
/// to run (``SQLDatabase/service``).
func prepareDataDirectory(_ configuration: ServerConfiguration, inGroup: Bool, logger: Logger) throws -> (Store, KeyService) {
    try FileManager.default.createDirectory(atPath: configuration.dataDirectory, withIntermediateDirectories: true)
    let sealer = try KeyEncryptionKey.resolve(configuration)
    let database: any SQLDatabase =
        if let url = configuration.databaseURL {
            try PostgreSQLDatabase(url: url, inGroup: inGroup)
        } else {
            try SQLiteDatabase(path: configuration.databasePath)
        }
    let store = Store.unmigrated(database)
    return (store, KeyService.unloaded(store: store, sealer: sealer, logger: logger))
}

/// Migrates the store, imports key files of earlier versions and opens every stored key.
func startDataDirectory(_ configuration: ServerConfiguration, store: Store, keys: KeyService, now: Date, logger: Logger) async throws {
    try await store.migrate(now: now)
    let imported = try await KeyImport.store(try KeyImport.legacyKeys(configuration), in: store, sealer: keys.sealer)
    if imported > 0 { logger.notice("Signing keys imported into the database", metadata: ["count": "\(imported)"]) }
    try await keys.load()
}

/// Opens the database `configuration` names once, as a start would: runs its migrations and
/// imports key files of earlier versions into it (`tollgate migrate` does this to its source first).
public func upgradeDataDirectory(_ configuration: ServerConfiguration) async throws {
    try await withDataDirectory(configuration) { _, _ in }
}

/// The signing keys of the database `configuration` names, as JSON (`tollgate keys export`):
/// what `tollgate keys import` or `TOLLGATE_SIGNING_KEYS` reads on another installation.
public func exportSigningKeys(_ configuration: ServerConfiguration) async throws -> String {
    try await withDataDirectory(configuration) { _, keys in try KeyImport.json(keys.snapshot.keys) }
}

/// Adds the keys in `json` (as `tollgate keys export` prints them) to the database
/// `configuration` names, sealed under its key-encryption key; returns how many were new.
public func importSigningKeys(_ configuration: ServerConfiguration, json: String) async throws -> Int {
    let keys: [SigningKey]
    do {
        keys = try KeyImport.parse(json)
    } catch {
        throw ConfigurationError("The keys must be a JSON array of {kid, accountId, createdAt, privateKey}, as 'tollgate keys export' prints: \(error)")
    }
    return try await withDataDirectory(configuration) { store, service in try await KeyImport.store(keys, in: store, sealer: service.sealer) }
}
