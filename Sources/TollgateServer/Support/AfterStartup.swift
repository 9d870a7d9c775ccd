import ServiceLifecycle

/// A service of the group that reads the database, started once the server's start has migrated
/// it (``Startup``): the group starts every service at once, and the database client must run
/// before the migrations can. If the start failed, it returns at once (the group is stopping).
struct AfterStartup<Wrapped: Service>: Service {
    let startup: Startup
    let service: Wrapped

    func run() async throws {
        guard (try? await startup.value()) != nil else { return }
        try await service.run()
    }
}
