import AsyncHTTPClient
import Foundation
import Logging
import Metrics
import NIOCore
import NIOHTTP1
import NIOPosix
import ServiceLifecycle
import Synchronization
import TollgateDomain
import TollgateFormats
import TollgateStore

/// The one background service that sends webhooks. Every ``pollInterval`` (every few
/// milliseconds while deliveries flow) it makes the
/// deliveries of events committed since its last look (``WebhookDeliveryTable/fanOut(accountId:limit:at:)``),
/// then claims due deliveries and makes their attempts side by side: each a signed `POST`
/// (``WebhookSignature``) of the event, to an address the ``EgressPolicy`` allows, with timeouts,
/// no redirects and a cap on the answer read. A 2xx answer ends a delivery; anything else is tried
/// again on the ``WebhookRetrySchedule``, and after its last attempt the delivery is given up and
/// its endpoint disabled (`webhook_endpoint.disabled`). Every replica runs one; the claims decide
/// which replica makes an attempt.
final class WebhookDeliverer: Service {
    let store: Store
    let sealer: KeyEncryptionKey
    let clock: any TollgateClock
    let egress: EgressPolicy
    let logger: Logger
    let schedule: WebhookRetrySchedule
    let pollInterval: Duration
    /// Attempts made side by side, at most.
    let batch = 64
    /// How long a claim holds a delivery: longer than an attempt can take (its timeout) by
    /// 10 s for writing its outcome. A replica killed mid-attempt leaves its claims to the
    /// others (or to itself restarted) after this long.
    var lease: TimeInterval { Double(requestTimeout.nanoseconds) / 1e9 + 10 }
    /// How long an attempt may take to connect (at most), and in all.
    static let connectTimeout: TimeAmount = .seconds(5)
    let requestTimeout: TimeAmount
    /// How much of an answer's body is read (and the first KiB of it kept).
    static let responseCap = 64 * 1024
    /// Outcomes of attempts not yet written.
    private let outcomes = Mutex<[Outcome]>([])
    /// The audit actor of what the deliverer changes (an endpoint it disables).
    static let actor = "system:webhooks"
    let owner = "\(ProcessInfo.processInfo.hostName):\(ProcessInfo.processInfo.processIdentifier):\(UUID().uuidString.prefix(8))"

    init(store: Store, sealer: KeyEncryptionKey, clock: any TollgateClock, egress: EgressPolicy, schedule: WebhookRetrySchedule = .standard,
         pollInterval: Duration, requestTimeout: TimeAmount = .seconds(15), logger: Logger) {
        self.requestTimeout = requestTimeout
        self.store = store
        self.sealer = sealer
        self.clock = clock
        self.egress = egress
        self.schedule = schedule
        self.pollInterval = pollInterval
        self.logger = logger
    }

    /// The HTTP client of one run: no redirects, timeouts, HTTP/1.1, bodies as sent, no retries of its own.
    func makeClient() -> HTTPClient {
        var configuration = HTTPClient.Configuration(
            redirectConfiguration: .disallow, timeout: .init(connect: min(Self.connectTimeout, requestTimeout), read: requestTimeout), decompression: .disabled)
        configuration.httpVersion = .http1Only
        // A refused connection is a failed attempt, retried on our schedule: the client's own
        // retries would hold the attempt until its deadline.
        configuration.connectionPool.retryConnectionEstablishment = false
        // As many connections to one receiver as attempts run side by side.
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = 64
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    func run() async throws {
        let client = makeClient()
        let inFlight = InFlight()
        // Attempts run in this group, at most ``batch`` at once: the loop tops the slots up as
        // attempts end (looking again within ``busyInterval`` while deliveries flow), so a slow or
        // failing receiver holds one slot for its timeout, not the others' deliveries. At
        // shutdown the group waits for the attempts under way.
        await withDiscardingTaskGroup { group in
            while !Task.isShuttingDownGracefully && !Task.isCancelled {
                var claimedAny = false
                await flush()
                do {
                    try await fanOut()
                    while !Task.isShuttingDownGracefully {
                        let free = batch - inFlight.count.load(ordering: .relaxed)
                        guard free > 0 else { break }
                        let claimed = try await claimDue(limit: free)
                        claimedAny = claimedAny || !claimed.isEmpty
                        for delivery in claimed {
                            inFlight.count.add(1, ordering: .relaxed)
                            group.addTask {
                                await self.attempt(delivery, client: client)
                                inFlight.count.subtract(1, ordering: .relaxed)
                            }
                        }
                        if claimed.count < free { break }
                    }
                } catch {
                    logger.warning("Webhook deliverer could not claim deliveries; will retry", metadata: ["error": "\(error)"])
                }
                let busy = inFlight.count.load(ordering: .relaxed) > 0 || outcomes.withLock { !$0.isEmpty }
                let wait = claimedAny && busy ? Self.busyInterval : pollInterval
                try? await cancelWhenGracefulShutdown { try await Task.sleep(for: wait) }
            }
        }
        await flush()
        try? await client.shutdown()
    }

    /// How soon the loop looks again after it claimed deliveries (to give the slots of attempts
    /// that end to the next ones); idle, it looks every ``pollInterval``.
    static let busyInterval: Duration = .milliseconds(2)

    /// Makes the deliveries of the events committed since the last look, account by account.
    func fanOut() async throws {
        let now = clock.now()
        for accountId in try await store.read({ try await $0.webhookDeliveries.accountsBehind() }) {
            var passed = 0
            repeat {
                passed = try await store.write(lock: .rows) { try await $0.webhookDeliveries.fanOut(accountId: accountId, limit: 500, at: now) }
            } while passed > 0 && !Task.isShuttingDownGracefully
        }
    }

    /// Claims up to `limit` deliveries due now.
    func claimDue(limit: Int) async throws -> [WebhookDeliveryTable.Delivery] {
        let now = clock.now()
        guard try await store.read({ try await $0.webhookDeliveries.anyDue(at: now) }) else { return [] }
        let (owner, lease) = (owner, lease)
        return try await store.write(lock: .rows) { try await $0.webhookDeliveries.claim(owner: owner, at: now, lease: lease, limit: limit) }
    }

    /// One attempt of `delivery`, and its outcome recorded.
    func attempt(_ delivery: WebhookDeliveryTable.Delivery, client: HTTPClient) async {
        let outcome: WebhookDeliveryTable.Attempt
        let context: (endpoint: WebhookEndpoint, secrets: [WebhookSecret], event: EventTable.Event)?
        do {
            let now = clock.now()
            context = try await store.read { session in
                guard let endpoint = try await session.webhookEndpoints.find(id: delivery.endpointId, accountId: delivery.accountId),
                    let event = try await session.events.find(accountId: delivery.accountId, sequence: delivery.eventSequence)
                else { return nil }
                let rows = try await session.webhookSecrets.inForce(endpointId: endpoint.id, accountId: endpoint.accountId, at: now)
                return (endpoint, try rows.map { try self.sealer.open($0) }, event)
            }
        } catch {
            logger.warning("Webhook delivery not attempted; will retry", metadata: ["delivery": "\(delivery.id)", "error": "\(error)"])
            return
        }
        if let context, context.endpoint.status == .enabled {
            outcome = await send(context.event, to: context.endpoint, secrets: context.secrets, client: client)
        } else {
            outcome = .init(at: clock.now(), status: nil, durationMilliseconds: 0, response: nil, error: "The endpoint is disabled or gone.")
        }
        keep(outcome, of: delivery, endpointGone: context == nil || context?.endpoint.status != .enabled)
    }

    /// An attempt's outcome waiting to be written (``flush()``), with what comes next.
    struct Outcome: Sendable {
        var attempt: WebhookDeliveryTable.Attempt
        var delivery: WebhookDeliveryTable.Delivery
        var retryAt: Date?
        var givesUp: Bool
    }

    /// Keeps `outcome` of `delivery` for the next ``flush()``: the delivery done, due again, or
    /// given up (and then its endpoint disabled).
    private func keep(_ outcome: WebhookDeliveryTable.Attempt, of delivery: WebhookDeliveryTable.Delivery, endpointGone: Bool) {
        // A delivery sent again by hand ends with its attempt, and never disables its endpoint.
        let delay = endpointGone || delivery.manual ? nil : schedule.delay(afterAttempt: delivery.attempts)
        // The wait counts from the claim (the delivery's `updatedAt`), when the attempt began.
        let retryAt = outcome.succeeded ? nil : delay.map { delivery.updatedAt.addingTimeInterval(TimeInterval($0)) }
        Counter(label: "tollgate_webhook_deliveries_total", dimensions: [("outcome", outcome.succeeded ? "succeeded" : retryAt == nil ? "given_up" : "retrying")])
            .increment()
        let givesUp = !outcome.succeeded && retryAt == nil && !endpointGone && !delivery.manual
        outcomes.withLock { $0.append(Outcome(attempt: outcome, delivery: delivery, retryAt: retryAt, givesUp: givesUp)) }
    }

    /// Writes the outcomes kept since the last flush in one transaction (one per attempt cost
    /// the deliverer most of its throughput: measured, BENCHMARKS.md), then disables the
    /// endpoints whose delivery was given up, each with its event under its account's lock. An
    /// outcome that cannot be written is dropped: its delivery's lease runs out and the attempt
    /// is made again (at least once).
    func flush() async {
        let taken = outcomes.withLock { outcomes in defer { outcomes = [] }; return outcomes }
        guard !taken.isEmpty else { return }
        let owner = owner
        do {
            let recorded = try await store.write(lock: .rows) { session in
                var recorded: [Outcome] = []
                for outcome in taken where try await session.webhookDeliveries.record(outcome.attempt, of: outcome.delivery, owner: owner, retryAt: outcome.retryAt) {
                    recorded.append(outcome)
                }
                return recorded.filter(\.givesUp).map(\.delivery.id)
            }
            for outcome in taken where recorded.contains(outcome.delivery.id) { try await disableEndpoint(after: outcome) }
        } catch {
            logger.warning("Webhook attempts not recorded; they will be made again", metadata: ["attempts": "\(taken.count)", "error": "\(error)"])
        }
    }

    /// Disables the endpoint of a delivery given up, with its event.
    private func disableEndpoint(after outcome: Outcome) async throws {
        let delivery = outcome.delivery
        let reason = "Every attempt of delivery \(delivery.id) failed over \(schedule.window / 3_600) hours (last: \(outcome.attempt.error ?? "no answer"))."
        try await store.write(lock: .account(delivery.accountId)) { session in
            guard var endpoint = try await session.webhookEndpoints.find(id: delivery.endpointId, accountId: delivery.accountId),
                endpoint.status == .enabled
            else { return }
            let before = endpoint
            (endpoint.status, endpoint.disabledReason, endpoint.updatedAt) = (.disabled, reason, outcome.attempt.at)
            try await session.webhookEndpoints.update(endpoint)
            try await ChangeLog.record(
                session, accountId: endpoint.accountId, actor: Self.actor, type: "webhook_endpoint.disabled", objectType: "webhook_endpoint",
                objectId: endpoint.id, before: before, after: endpoint, state: WebhookEndpointView(endpoint), at: outcome.attempt.at)
        }
    }

    /// The body of `event`'s deliveries: its id, type, time, sequence, object and the object's state.
    static func body(_ event: EventTable.Event) throws -> [UInt8] {
        struct Payload: Encodable {
            var id: String
            var type: String
            var timestamp: Date
            var sequence: Int64
            var objectType: String
            var objectId: String
            var data: JSONValue?
        }
        return Array(
            try APICoding.encode(
                Payload(
                    id: event.id, type: event.type, timestamp: event.occurredAt, sequence: event.sequence, objectType: event.objectType,
                    objectId: event.objectId, data: event.data)))
    }

    /// Sends `event` to `endpoint`, signed with `secrets`.
    func send(_ event: EventTable.Event, to endpoint: WebhookEndpoint, secrets: [WebhookSecret], client: HTTPClient) async -> WebhookDeliveryTable.Attempt {
        let started = ContinuousClock.now
        let at = clock.now()
        func elapsed() -> Int { Int((ContinuousClock.now - started) / .milliseconds(1)) }
        do {
            guard let url = URL(string: endpoint.url), let host = url.host else { throw WebhookFailure("The endpoint's URL has no host.") }
            try await checkTarget(host: host, port: url.port ?? (url.scheme == "https" ? 443 : 80))
            let body = try Self.body(event)
            var request = HTTPClientRequest(url: endpoint.url)
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/json")
            request.headers.add(name: "User-Agent", value: "Tollgate-Webhooks")
            for header in WebhookSignature(id: event.id, time: at, body: body, secrets: secrets).headers {
                request.headers.add(name: header.name, value: header.value)
            }
            request.body = .bytes(body)
            let response = try await client.execute(request, timeout: requestTimeout)
            var read = ByteBuffer()
            for try await chunk in response.body {
                read.writeImmutableBuffer(chunk.getSlice(at: chunk.readerIndex, length: min(chunk.readableBytes, Self.responseCap - read.readableBytes)) ?? ByteBuffer())
                if read.readableBytes >= Self.responseCap { break }
            }
            let excerpt = String(decoding: read.readableBytesView.prefix(1_024), as: UTF8.self)
            let status = Int(response.status.code)
            return .init(
                at: at, status: status, durationMilliseconds: elapsed(), response: excerpt.isEmpty ? nil : excerpt,
                error: (200..<300).contains(status) ? nil : "HTTP \(status)")
        } catch let failure as WebhookFailure {
            return .init(at: at, status: nil, durationMilliseconds: elapsed(), response: nil, error: failure.message)
        } catch {
            return .init(at: at, status: nil, durationMilliseconds: elapsed(), response: nil, error: Self.describe(error))
        }
    }

    /// Resolves `host` and refuses it unless every address it has is one the egress policy allows.
    /// (The client resolves the name again to connect; a name that changes its answer between the
    /// two lookups could slip past this check, which the README says.)
    func checkTarget(host: String, port: Int) async throws {
        let addresses = try await NIOThreadPool.singleton.runIfActive { try Self.resolve(host: host, port: port) }
        guard !addresses.isEmpty else { throw WebhookFailure("The endpoint's host \(host) has no address.") }
        for address in addresses where !egress.permits(address) {
            throw WebhookFailure(
                "The endpoint's host \(host) is a \(EgressPolicy.kind(of: address).rawValue) address, which TOLLGATE_WEBHOOK_ALLOW does not allow.")
        }
    }

    /// The addresses of `host` (4 bytes each for IPv4, 16 for IPv6), from the system's resolver.
    static func resolve(host: String, port: Int) throws -> [[UInt8]] {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &list) == 0, let first = list else { throw WebhookFailure("The endpoint's host \(host) does not resolve.") }
        defer { freeaddrinfo(first) }
        var addresses: [[UInt8]] = []
        var entry: UnsafeMutablePointer<addrinfo>? = first
        while let current = entry {
            if let address = current.pointee.ai_addr {
                switch Int32(address.pointee.sa_family) {
                case AF_INET:
                    address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { pointer in
                        var ip = pointer.pointee.sin_addr
                        addresses.append(withUnsafeBytes(of: &ip) { Array($0) })
                    }
                case AF_INET6:
                    address.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { pointer in
                        var ip = pointer.pointee.sin6_addr
                        addresses.append(withUnsafeBytes(of: &ip) { Array($0) })
                    }
                default: break
                }
            }
            entry = current.pointee.ai_next
        }
        return addresses
    }

    static func describe(_ error: any Error) -> String {
        switch error {
        case let error as HTTPClientError where error == .deadlineExceeded || error == .readTimeout || error == .connectTimeout:
            "Timed out."
        case let error as HTTPClientError where error == .cancelled:
            "Cancelled."
        default:
            "No answer: \(error)"
        }
    }
}

/// How many attempts are under way.
private final class InFlight: Sendable {
    let count = Atomic<Int>(0)
}

/// Why an attempt could not be made, as its record says.
struct WebhookFailure: Error {
    let message: String
    init(_ message: String) { self.message = message }
}
