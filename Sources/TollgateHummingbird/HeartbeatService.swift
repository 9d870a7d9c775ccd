import ServiceLifecycle
import TollgateClient

/// The ``HeartbeatWorker`` as a ServiceLifecycle `Service`: add it to the application's
/// services and it beats at the policy's interval; at graceful shutdown it stops, sends buffered
/// usage and deactivates a floating machine.
///
/// ```swift
/// app.addServices(HeartbeatService(client: client))
/// ```
public struct HeartbeatService: Service {
    public var worker: HeartbeatWorker

    /// Beats at the interval the activation answer stated (`heartbeatIntervalSeconds`), or 600 s.
    public init(client: TollgateClient, interval: Duration? = nil) {
        worker = HeartbeatWorker(client: client, interval: interval ?? .seconds(client.activation?.heartbeatIntervalSeconds ?? 600))
    }

    public init(worker: HeartbeatWorker) { self.worker = worker }

    /// Beats until graceful shutdown. After a refusal the worker stops but the service waits
    /// for shutdown (a service that returns early would stop the whole application).
    public func run() async throws {
        let worker = self.worker
        await cancelWhenGracefulShutdown { await worker.run() }
        try? await gracefulShutdown()
    }
}
