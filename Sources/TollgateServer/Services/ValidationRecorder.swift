import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import TollgateCore
import TollgateStore

/// Logs validations without slowing them: answers append to a buffer in memory, and a
/// background service writes the buffer in one transaction every flush interval and once
/// more at shutdown.
final class ValidationRecorder: Service, Sendable {
    private let buffer = Mutex<[ValidationEventTable.Event]>([])
    private let store: Store
    private let interval: Duration
    private let logger: Logger

    init(store: Store, interval: Duration, logger: Logger) {
        self.store = store
        self.interval = interval
        self.logger = logger
    }

    /// Queues one validation for the next batch.
    func record(_ event: ValidationEventTable.Event) {
        buffer.withLock { $0.append(event) }
    }

    /// Writes everything queued; on failure the batch is put back for the next attempt.
    func flush() async {
        let batch = buffer.withLock { buffer -> [ValidationEventTable.Event] in
            defer { buffer.removeAll(keepingCapacity: true) }
            return buffer
        }
        guard !batch.isEmpty else { return }
        do {
            try await store.appendToLog { try $0.validations.insert(batch) }
        } catch {
            logger.warning("Validation log batch not written; will retry", metadata: ["count": "\(batch.count)", "error": "\(error)"])
            buffer.withLock { $0.insert(contentsOf: batch, at: 0) }
        }
    }

    func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            try? await Task.sleep(for: interval)
            await flush()
        }
        await flush()
    }
}
