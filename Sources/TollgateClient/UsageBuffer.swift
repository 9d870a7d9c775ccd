import Foundation
import Synchronization

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Usage events kept on disk until the server has them, so that a crash or an outage neither
/// loses nor duplicates one.
///
/// - ``record(meter:quantity:licenseId:machineId:)`` appends one JSON line to `usage/journal.jsonl`
///   and calls `fsync` before it returns: an event the app was told about is on disk.
/// - ``flush(authorization:)`` first seals the journal (an atomic `rename` to `usage/batch-<time>-<uuid>.jsonl`),
///   then sends each sealed file in chunks of ``chunkSize`` events. A chunk's `Idempotency-Key` is
///   the file's name and the chunk's index, so a resend after a lost answer or a crash is the same
///   request, which the server answers once. A file is deleted only after every chunk was
///   accepted (2xx); a chunk the server rejects for good (4xx other than 408 and 429) moves its
///   file to `usage/rejected-…`, so one bad event does not block the rest.
/// - A line torn by a crash during ``record(meter:quantity:licenseId:machineId:)`` (which then
///   never returned) is skipped.
///
/// The body is `{"events":[{"id","meter","quantity","timestamp","licenseId","machineId"}]}`, each
/// event with its own stable id as well. Until the metering API lands the path is configurable
/// (``TollgateClientConfiguration/usagePath``).
public final class UsageBuffer: Sendable {
    /// One usage event.
    public struct Event: Codable, Sendable, Equatable {
        public var id: String
        public var meter: String
        public var quantity: Double
        public var timestamp: Date
        public var licenseId: String?
        public var machineId: String?
    }

    /// What a flush did.
    public struct FlushResult: Sendable, Equatable {
        /// Events the server accepted in this flush.
        public var sent = 0
        /// Events still waiting (the server was unreachable or answered 5xx).
        public var pending = 0
        /// Events the server refused for good (moved aside, not retried).
        public var rejected = 0

        public init(sent: Int = 0, pending: Int = 0, rejected: Int = 0) {
            self.sent = sent
            self.pending = pending
            self.rejected = rejected
        }
    }

    public let directory: URL
    /// Atomic writes of `month.json`.
    private let files: ClientStorage
    let http: HTTPClient
    let path: String
    let now: @Sendable () -> Date
    /// Events per request.
    public let chunkSize: Int
    private let journalLock = Mutex(())
    /// This month's totals per meter, kept in `usage/month.json`.
    private let month: Mutex<MonthTotals>

    struct MonthTotals: Codable, Equatable {
        var month: String
        var totals: [String: Double] = [:]
    }
    static let monthFile = "month.json"
    private let flushing = Mutex(false)

    static let journal = "journal.jsonl"

    init(directory: URL, http: HTTPClient, path: String, chunkSize: Int = 500, now: @escaping @Sendable () -> Date) throws {
        self.directory = directory
        self.http = http
        self.path = path
        self.chunkSize = chunkSize
        self.now = now
        files = try ClientStorage(directory: directory)
        month = Mutex(files.readJSON(MonthTotals.self, Self.monthFile) ?? MonthTotals(month: Self.monthKey(now())))
        endTornLine()
    }

    /// `yyyy-MM` of `date` in UTC.
    static func monthKey(_ date: Date) -> String {
        let parts = Calendar(identifier: .gregorian).dateComponents(in: TimeZone(identifier: "UTC")!, from: date)
        return String(format: "%04d-%02d", parts.year ?? 0, parts.month ?? 0)
    }

    /// How much of `meter` was recorded in the current calendar month (UTC), sent or not.
    public func usedThisMonth(_ meter: String) -> Double {
        let key = Self.monthKey(now())
        return month.withLock { $0.month == key ? $0.totals[meter] ?? 0 : 0 }
    }

    /// After a crash inside ``record(meter:quantity:licenseId:machineId:)`` the journal may end in
    /// a torn line; ending it keeps the next event from being glued to it.
    private func endTornLine() {
        let journal = directory.appendingPathComponent(Self.journal)
        guard let handle = try? FileHandle(forUpdating: journal) else { return }
        defer { try? handle.close() }
        guard let end = try? handle.seekToEnd(), end > 0 else { return }
        try? handle.seek(toOffset: end - 1)
        if let last = try? handle.read(upToCount: 1), last != Data("\n".utf8) {
            _ = try? handle.seekToEnd()
            try? handle.write(contentsOf: Data("\n".utf8))
            try? handle.synchronize()
        }
    }

    /// Appends an event and makes it durable (`fsync`) before returning.
    public func record(meter: String, quantity: Double, licenseId: String? = nil, machineId: String? = nil) throws {
        let event = Event(id: UUID().uuidString.lowercased(), meter: meter, quantity: quantity, timestamp: now(), licenseId: licenseId, machineId: machineId)
        var line = try ClientStorage.encoder.encode(event)
        line.append(UInt8(ascii: "\n"))
        try journalLock.withLock { _ in
            let descriptor = open(directory.appendingPathComponent(Self.journal).path, O_WRONLY | O_CREAT | O_APPEND, 0o600)
            guard descriptor >= 0 else { throw CocoaError(.fileWriteNoPermission) }
            defer { close(descriptor) }
            let written = line.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
            guard written == line.count, fsync(descriptor) == 0 else { throw CocoaError(.fileWriteUnknown) }
            let totals = month.withLock { totals -> MonthTotals in
                let key = Self.monthKey(event.timestamp)
                if totals.month != key { totals = MonthTotals(month: key) }
                totals.totals[meter, default: 0] += quantity
                return totals
            }
            // The month's totals follow the journal; a crash between the two undercounts by one event.
            try? files.writeJSON(totals, to: Self.monthFile)
        }
    }

    /// Events on disk not yet accepted by the server (journal and sealed batches).
    public var pendingEvents: [Event] {
        (sealed() + [directory.appendingPathComponent(Self.journal)]).flatMap(Self.events(in:))
    }

    /// Seals the journal and sends every sealed batch with `authorization` (the machine token);
    /// one flush at a time (a concurrent call returns at once with nothing sent).
    @discardableResult
    public func flush(authorization: String?) async -> FlushResult {
        guard flushing.withLock({ busy in defer { busy = true }; return !busy }) else { return FlushResult() }
        defer { flushing.withLock { $0 = false } }
        seal()
        var result = FlushResult()
        var reachable = true
        for file in sealed() {
            let events = Self.events(in: file)
            guard reachable else {
                result.pending += events.count
                continue
            }
            switch await send(events, batch: file.deletingPathExtension().lastPathComponent, authorization: authorization) {
            case .accepted:
                result.sent += events.count
                try? FileManager.default.removeItem(at: file)
            case .rejected:
                result.rejected += events.count
                try? FileManager.default.moveItem(at: file, to: directory.appendingPathComponent("rejected-" + file.lastPathComponent))
            case .unreachable:
                reachable = false
                result.pending += events.count
            }
        }
        return result
    }

    /// Moves the journal aside as a sealed batch, unless it is empty.
    func seal() {
        journalLock.withLock { _ in
            let journal = directory.appendingPathComponent(Self.journal)
            guard let size = (try? FileManager.default.attributesOfItem(atPath: journal.path))?[.size] as? Int, size > 0 else { return }
            let stamp = String(format: "%016llx", UInt64(Date().timeIntervalSince1970 * 1_000_000))
            let batch = directory.appendingPathComponent("batch-\(stamp)-\(UUID().uuidString.lowercased()).jsonl")
            if rename(journal.path, batch.path) == 0 { Self.syncDirectory(directory) }
        }
    }

    private enum Delivery { case accepted, rejected, unreachable }

    private func send(_ events: [Event], batch: String, authorization: String?) async -> Delivery {
        var start = 0
        while start < events.count {
            let chunk = Array(events[start..<min(start + chunkSize, events.count)])
            let body: [String: Any] = ["events": chunk.map { event -> [String: Any] in
                var object: [String: Any] = [
                    "id": event.id, "meter": event.meter, "quantity": event.quantity, "timestamp": event.timestamp.formatted(.iso8601),
                ]
                if let licenseId = event.licenseId { object["licenseId"] = licenseId }
                if let machineId = event.machineId { object["machineId"] = machineId }
                return object
            }]
            let key = "\(batch)-\(start / chunkSize)"
            guard let answer = try? await http.send("POST", path, json: body, authorization: authorization, headers: ["Idempotency-Key": key]) else {
                return .unreachable
            }
            switch answer.status {
            case 200..<300: break
            case 408, 429, 500...: return .unreachable
            default: return .rejected
            }
            start += chunkSize
        }
        return .accepted
    }

    /// Sealed batches, oldest first (their names start with the sealing time).
    private func sealed() -> [URL] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.filter { $0.hasPrefix("batch-") && $0.hasSuffix(".jsonl") }.sorted().map { directory.appendingPathComponent($0) }
    }

    /// The events of a file; a line torn by a crash is skipped.
    static func events(in file: URL) -> [Event] {
        guard let data = try? Data(contentsOf: file) else { return [] }
        return data.split(separator: UInt8(ascii: "\n")).compactMap { try? ClientStorage.decoder.decode(Event.self, from: Data($0)) }
    }

    static func syncDirectory(_ directory: URL) {
        let descriptor = open(directory.path, O_RDONLY)
        guard descriptor >= 0 else { return }
        fsync(descriptor)
        close(descriptor)
    }
}
