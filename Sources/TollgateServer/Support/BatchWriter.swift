import ServiceLifecycle

/// Writes buffered for a batch: kept in memory by a request, written later in one transaction.
protocol BatchBuffer: Sendable {
    /// Lets one flush through at a time.
    var flushes: AsyncGate { get }
    /// Writes what is buffered; what fails to write stays buffered for the next flush.
    func write() async
}

extension BatchBuffer {
    /// ``write()``, one at a time: a flush returns only once everything buffered before it is
    /// written, even while another flush (the periodic one) is writing its batch.
    func flush() async {
        await flushes.exclusively { await write() }
    }
}

/// The one background service that writes the server's batched logs off the request path:
/// validation events (``ValidationRecorder``), plain heartbeats (``HeartbeatRecorder``) and
/// token refusal samples (``TokenRefusalLog``). It flushes every buffer every `interval`
/// (`TOLLGATE_LOG_FLUSH_MS`) and once more at graceful shutdown, so nothing acknowledged is lost
/// on SIGTERM; on SIGKILL at most one interval of these logs is.
final class BatchWriter: Service {
    let buffers: [any BatchBuffer]
    let interval: Duration

    init(buffers: [any BatchBuffer], interval: Duration) {
        self.buffers = buffers
        self.interval = interval
    }

    /// Flushes every buffer now, one after another.
    func flush() async {
        for buffer in buffers { await buffer.flush() }
    }

    func run() async throws {
        await repeatUntilShutdown(every: interval) { await flush() }
        await flush()
    }
}
