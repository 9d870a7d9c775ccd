import ServiceLifecycle

/// Calls `tick` every `interval` until graceful shutdown or cancellation, which also cut the wait
/// short. The background services (log and heartbeat batches, the machine sweep) run on it; those
/// that buffer writes flush once more after it returns.
func repeatUntilShutdown(every interval: Duration, _ tick: () async -> Void) async {
    while !Task.isShuttingDownGracefully && !Task.isCancelled {
        try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        guard !Task.isShuttingDownGracefully && !Task.isCancelled else { return }
        await tick()
    }
}
