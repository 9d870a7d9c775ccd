import ServiceLifecycle

/// A service of the group that reads the database, started once the server's start has migrated
/// it (``Startup``): the group starts every service at once, and the database client must run
/// before the migrations can. If the start failed, it fails with the start's error: returning
/// instead made the group report "a service has finished unexpectedly" when it came first, in
/// place of the reason (a key-encryption key that does not open the keys, say).
struct AfterStartup<Wrapped: Service>: Service {
    let startup: Startup
    let service: Wrapped

    func run() async throws {
        _ = try await startup.value()
        try await service.run()
    }
}
