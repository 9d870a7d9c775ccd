import Crypto
import Foundation
import Synchronization
import TollgateFormats

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The SDK an app embeds: activates this machine, validates online or from the stored signed
/// file, answers feature and limit checks from memory, and beats (see ``HeartbeatWorker``).
///
/// ```swift
/// let client = try TollgateClient(configuration)
/// try await client.activate(key: licenseKey)          // once per machine
/// guard await client.validate().allowsUse else { exit(1) }
/// try client.require("sso")                           // FeatureRequired names the tier that has it
/// ```
///
/// Every answer is checked: validation answers by their `Tollgate-Signature` and echoed nonce,
/// tokens and files by their Ed25519 signatures, all with the keys in the configuration. An
/// answer that fails a check counts as no answer: the client judges from its stored file.
public final class TollgateClient: Sendable {
    public let configuration: TollgateClientConfiguration
    let storage: ClientStorage
    let http: HTTPClient
    /// The offline checks, with the configuration's keys.
    public let verifier: Verifier
    /// Usage recorded with ``record(meter:quantity:)``, on disk until the server has it.
    public let usage: UsageBuffer

    /// What checks read from memory: one lock, no I/O.
    struct Snapshot: Sendable {
        var status: ClientStatus
        var activation: ClientStorage.Activation?
        var claims: MachineTokenClaims?
        var entitlements: Set<String> = []
        /// The product's tiers as the server last listed them.
        var tiers: [Tier] = []
        /// When this process last judged the license (online or from the file); memory only, so
        /// a restarted app checks once before ``validate(maxAge:)`` answers from memory.
        var checkedAt: Date?
    }
    private let snapshot: Mutex<Snapshot>
    private let handlers = Mutex<[@Sendable (ClientState) -> Void]>([])

    /// Loads what an earlier run stored (activation, file, status) from the storage directory.
    public init(_ configuration: TollgateClientConfiguration) throws {
        self.configuration = configuration
        storage = try ClientStorage(directory: configuration.storageDirectory)
        http = HTTPClient(baseURL: configuration.serverURL, timeout: configuration.requestTimeout)
        verifier = Verifier(keys: configuration.keys)
        usage = try UsageBuffer(
            directory: configuration.storageDirectory.appendingPathComponent("usage"), http: http, path: configuration.usagePath, now: configuration.now)
        let activation = storage.readJSON(ClientStorage.Activation.self, ClientStorage.activationFile)
        var status = storage.readJSON(ClientStatus.self, ClientStorage.statusFile) ?? ClientStatus()
        if activation == nil { status.state = .inactive }
        snapshot = Mutex(Snapshot(status: status, activation: activation, tiers: storage.readJSON([Tier].self, ClientStorage.tiersFile) ?? []))
        if let activation { adopt(token: activation.token) }
    }

    // MARK: Reading the state

    /// The current state (from memory).
    public var state: ClientState { snapshot.withLock { $0.status.state } }
    /// The state with the times it is judged by.
    public var status: ClientStatus { snapshot.withLock { $0.status } }
    /// The claims of the machine token: tier, entitlements and limits the server last granted.
    public var claims: MachineTokenClaims? { snapshot.withLock { $0.claims } }
    /// The stored activation, if any.
    public var activation: ClientStorage.Activation? { snapshot.withLock { $0.activation } }

    /// Whether the license may be used now and includes `feature`. Served from memory.
    public func isEntitled(_ feature: String) -> Bool {
        snapshot.withLock { $0.status.state.allowsUse && ($0.entitlements.contains(feature) || $0.entitlements.contains(Entitlements.all)) }
    }

    /// Throws ``FeatureRequired`` (naming the current tier and the cheapest tier that has the
    /// feature) unless ``isEntitled(_:)``, or ``TollgateClientError/licenseNotUsable(_:)``.
    public func require(_ feature: String) throws {
        let (state, tier, entitled) = snapshot.withLock {
            ($0.status.state, $0.claims?.tier, $0.entitlements.contains(feature) || $0.entitlements.contains(Entitlements.all))
        }
        guard state.allowsUse else { throw TollgateClientError.licenseNotUsable(state) }
        guard entitled else {
            throw FeatureRequired(feature: feature, currentTier: tier, requiredTier: tiers.first { $0.includes(feature) }?.name)
        }
    }

    /// The license's limit `code` as the machine token states it (`maxMachines` included):
    /// a number or `.unlimited`; `nil` when the license has no limit of that code.
    public func limit(_ code: String) -> LimitValue? {
        snapshot.withLock { $0.claims?.limits[code] }
    }

    /// Whether limit `code` resets, and how often (`none` when it does not or does not exist).
    public func limitPeriod(_ code: String) -> LimitPeriod {
        snapshot.withLock { $0.claims?.limits.period(of: code) ?? .none }
    }

    /// The tiers this client judges upgrades by: the configured ones, or the server's.
    public var tiers: [Tier] { configuration.tiers ?? snapshot.withLock { $0.tiers } }

    /// The first tier (cheapest first) whose limit `code` is above `value` or unlimited.
    public func tierWithMore(_ code: String, than value: Int) -> String? {
        tiers.first { tier in
            switch tier.value(of: code) {
            case .limited(let maximum)?: maximum > value
            case .unlimited?: true
            case nil: false
            }
        }?.name
    }

    /// Fetches the product's tiers from the server (any credential of the product) and keeps
    /// them on disk; returns them. Called after activation and each online validation.
    @discardableResult
    public func refreshTiers() async throws -> [Tier] {
        guard let activation = self.activation else { throw TollgateClientError.notActivated }
        let answer = try await http.send("GET", "/v1/products/\(configuration.productId)/tiers", authorization: "Bearer \(activation.token)")
            .requireSuccess()
        struct Listed: Decodable { var data: [Tier] }
        let tiers = try JSONDecoder().decode(Listed.self, from: answer.body).data
        try storage.writeJSON(tiers, to: ClientStorage.tiersFile)
        snapshot.withLock { $0.tiers = tiers }
        return tiers
    }

    /// How much of `meter` this machine recorded in the current calendar month (UTC).
    public func usedThisMonth(_ meter: String) -> Double { usage.usedThisMonth(meter) }

    /// Calls `handler` (on the caller's task that saw it) whenever the state becomes failed.
    public func onFailure(_ handler: @escaping @Sendable (ClientState) -> Void) {
        handlers.withLock { $0.append(handler) }
    }

    // MARK: Usage and concurrency

    /// Records usage of `meter` for this license and machine: on disk (fsync) before it returns,
    /// sent by ``flushUsage()`` (the heartbeat worker calls it after each beat). See ``UsageBuffer``.
    public func record(meter: String, quantity: Double = 1) throws {
        let activation = self.activation
        try usage.record(meter: meter, quantity: quantity, licenseId: activation?.licenseId, machineId: activation?.machineId)
    }

    /// Sends buffered usage with the machine token.
    @discardableResult
    public func flushUsage() async -> UsageBuffer.FlushResult {
        await usage.flush(authorization: activation.map { "Bearer \($0.token)" })
    }

    /// Runs `body` holding one of the license's `concurrentExecutions` slots: a lease taken before,
    /// renewed at half its TTL while `body` runs, and returned after, whether `body` threw or not.
    /// A slot needs the server: when it cannot be reached this throws
    /// ``TollgateClientError/unreachable(_:)``; when every slot is taken,
    /// ``TollgateClientError/refused(status:code:message:)`` with `CONCURRENCY_LIMIT_EXCEEDED`.
    /// A lease left by a crash frees itself when its TTL ends.
    @discardableResult
    public func withExecutionSlot<T>(ttlSeconds: Int = 300, holder: String? = nil, _ body: () async throws -> T) async throws -> T {
        guard let activation else { throw TollgateClientError.notActivated }
        guard state.allowsUse else { throw TollgateClientError.licenseNotUsable(state) }
        var request: [String: Any] = ["ttlSeconds": ttlSeconds]
        if let holder { request["holder"] = holder }
        let leases = "/v1/licenses/\(activation.licenseId)/leases"
        let taken = try await http.send("POST", leases, json: request, authorization: "Bearer \(activation.token)").requireSuccess()
        guard let lease = taken.object["id"] as? String else { throw TollgateClientError.unreachable("the lease answer has no id") }
        let renewer = Task { [http] in
            while !Task.isCancelled {
                try await Task.sleep(for: .seconds(Double(ttlSeconds) / 2))
                let token = self.activation?.token ?? activation.token
                _ = try? await http.send("POST", "\(leases)/\(lease)/actions/renew", json: ["ttlSeconds": ttlSeconds], authorization: "Bearer \(token)")
            }
        }
        func release() async {
            renewer.cancel()
            let token = self.activation?.token ?? activation.token
            _ = try? await http.send("DELETE", "\(leases)/\(lease)", authorization: "Bearer \(token)")
        }
        do {
            let value = try await body()
            await release()
            return value
        } catch {
            await release()
            throw error
        }
    }

    // MARK: Activation

    /// Activates this machine with `key`, stores the token and a signed machine file, and
    /// returns the new state. Throws when the server refuses (limits, suspended license…).
    @discardableResult
    public func activate(key: String) async throws -> ClientState {
        guard let fingerprint = configuration.fingerprint ?? MachineFingerprint.current(productId: configuration.productId) else {
            throw TollgateClientError.noFingerprint
        }
        let body: [String: Any] = [
            "fingerprint": fingerprint, "name": configuration.machineName ?? ProcessInfo.processInfo.hostName,
            "hostname": ProcessInfo.processInfo.hostName, "platform": Self.platform, "cores": ProcessInfo.processInfo.activeProcessorCount,
        ]
        let answer = try await http.send("POST", "/v1/machines", json: body, authorization: "License \(key)").requireSuccess()
        guard let token = answer.object["token"] as? String, case .success(let claims) = verifier.token(token) else {
            throw TollgateClientError.unreachable("the activation answer has no valid token")
        }
        let license = answer.object["license"] as? [String: Any]
        let activation = ClientStorage.Activation(
            licenseKey: key, licenseId: claims.license, machineId: claims.machine, fingerprint: fingerprint, token: token,
            floating: (license?["limits"] as? [String: Any])?[LimitCodes.maxMachines] as? Int != 1,
            heartbeatIntervalSeconds: (answer.object["machine"] as? [String: Any])?["heartbeatIntervalSeconds"] as? Int)
        try storage.writeJSON(activation, to: ClientStorage.activationFile)
        snapshot.withLock { $0.activation = activation }
        adopt(token: token)
        try await refreshFile(activation: activation)
        if configuration.tiers == nil { _ = try? await refreshTiers() }
        // The policy's offline grace, as the file just checked out states it.
        var graceDays = status.offlineGraceDays
        if case .verified(_, let days, _, _) = checkFile() { graceDays = days }
        return try apply(.confirmed(serverTime: answer.date ?? configuration.now(), now: configuration.now(), offlineGraceDays: graceDays))
    }

    // MARK: Validation

    /// Validates online when the server answers with a signed answer to this request, otherwise
    /// from the stored file (offline window, grace, then failure). Never throws: the state says it.
    @discardableResult
    public func validate() async -> ClientState {
        guard let activation else { return .inactive }
        let nonce = Self.nonce()
        let body: [String: Any] = [
            "key": activation.licenseKey, "nonce": nonce,
            "scope": ["productId": configuration.productId, "fingerprint": activation.fingerprint],
        ]
        guard let reply = try? await http.send("POST", "/v1/licenses/validate", json: body), reply.status == 200,
            case .success(let answer) = verifier.validationAnswer(body: reply.body, signature: reply.header(ResponseSignature.headerName), nonce: nonce)
        else { return judgeOffline() }
        if answer.valid {
            let graceDays = answer.license?.offlineGraceDays ?? status.offlineGraceDays
            let tiersMissing = configuration.tiers == nil && snapshot.withLock { $0.tiers.isEmpty }
            if fileNeedsRefresh() || tiersMissing {
                try? await refreshFile(activation: activation)
                if configuration.tiers == nil { _ = try? await refreshTiers() }
            }
            return (try? apply(.confirmed(serverTime: answer.serverTime ?? configuration.now(), now: configuration.now(), offlineGraceDays: graceDays))) ?? state
        }
        return (try? apply(.refused(FailureReason(serverCode: answer.code) ?? .refusedByServer(answer.code)))) ?? state
    }

    /// The state from memory when this process judged the license less than `maxAge` seconds
    /// ago (by the system clock, which must not have gone back); otherwise ``validate()``.
    /// For hot paths: `await client.validate(maxAge: 60)` costs a lock, not a request.
    @discardableResult
    public func validate(maxAge: TimeInterval) async -> ClientState {
        let now = configuration.now()
        let cached = snapshot.withLock { snapshot -> ClientState? in
            guard let checkedAt = snapshot.checkedAt, now >= checkedAt, now.timeIntervalSince(checkedAt) < maxAge else { return nil }
            return snapshot.status.state
        }
        if let cached { return cached }
        return await validate()
    }

    /// Judges from the stored signed file, without the server.
    @discardableResult
    public func judgeOffline() -> ClientState {
        (try? apply(.offline(now: configuration.now(), file: checkFile()))) ?? state
    }

    // MARK: Heartbeats and deactivation

    /// What one heartbeat did.
    public enum BeatOutcome: Sendable, Equatable {
        case confirmed
        case refused(FailureReason)
        case unreachable
    }

    /// Beats once: a fresh token on success; a refusal fails the client.
    public func beat() async -> BeatOutcome {
        guard let activation else { return .refused(.deactivated) }
        guard let answer = try? await http.send("POST", "/v1/machines/\(activation.machineId)/heartbeat", authorization: "Bearer \(activation.token)"),
            answer.status < 500
        else {
            judgeOffline()
            return .unreachable
        }
        if answer.status == 200, answer.object["valid"] as? Bool == true, let token = answer.object["token"] as? String,
            case .success = verifier.token(token)
        {
            var renewed = activation
            renewed.token = token
            try? storage.writeJSON(renewed, to: ClientStorage.activationFile)
            snapshot.withLock { $0.activation = renewed }
            adopt(token: token)
            // The grace is known from activation and validation: a beat does not read the file.
            _ = try? apply(.confirmed(serverTime: answer.date ?? configuration.now(), now: configuration.now(), offlineGraceDays: status.offlineGraceDays))
            return .confirmed
        }
        let reason = Self.refusal(of: answer)
        _ = try? apply(.refused(reason))
        return .refused(reason)
    }

    /// Deactivates this machine on the server (its seat is freed) and forgets the activation.
    public func deactivate() async throws {
        guard let activation else { return }
        let answer = try await http.send("DELETE", "/v1/machines/\(activation.machineId)", authorization: "Bearer \(activation.token)")
        guard answer.status < 300 || answer.status == 404 else { _ = try answer.requireSuccess(); return }
        storage.remove(ClientStorage.activationFile)
        storage.remove(ClientStorage.licenseFile)
        snapshot.withLock {
            $0.activation = nil
            $0.claims = nil
            $0.entitlements = []
        }
        _ = try apply(.deactivated)
    }

    // MARK: Internals

    /// Moves the state, stores it, and calls the failure handlers on a change into failed.
    @discardableResult
    func apply(_ event: ClientEvent) throws -> ClientState {
        let (before, after) = snapshot.withLock { snapshot -> (ClientStatus, ClientStatus) in
            let before = snapshot.status
            snapshot.status = configuration.rules.apply(event, to: before)
            switch event {
            case .confirmed, .offline, .refused: snapshot.checkedAt = configuration.now()
            case .deactivated: snapshot.checkedAt = nil
            }
            return (before, snapshot.status)
        }
        if after != before { try storage.writeJSON(after, to: ClientStorage.statusFile) }
        if case .failed = after.state, before.state != after.state {
            for handler in handlers.withLock({ $0 }) { handler(after.state) }
        }
        return after.state
    }

    private func adopt(token: String) {
        guard case .success(let claims) = verifier.token(token) else { return }
        snapshot.withLock {
            $0.claims = claims
            $0.entitlements = Set(claims.entitlements)
        }
    }

    /// The stored file, verified at the later of now and the latest trusted time.
    func checkFile() -> OfflineFileCheck {
        guard let activation, let data = storage.read(ClientStorage.licenseFile), let text = String(data: data, encoding: .utf8) else { return .missing }
        let now = configuration.now()
        switch LicenseFile.verify(text, now: now, licenseKey: activation.licenseKey, fingerprint: activation.fingerprint, keys: verifier.key) {
        case .success(let content):
            return .verified(
                issuedAt: content.issuedAt, offlineGraceDays: content.license.offlineGraceDays, licenseStatus: content.license.status,
                licenseExpiresAt: content.license.expiresAt)
        case .failure(.issuedInFuture): return .issuedInFuture
        case .failure(.expired): return .expired
        case .failure(let error): return .refused(error.code)
        }
    }

    private func fileNeedsRefresh() -> Bool {
        guard case .verified(let issuedAt, _, _, _) = checkFile() else { return true }
        return configuration.now().timeIntervalSince(issuedAt) > configuration.rules.refreshAge
    }

    /// Checks out a machine file valid for the whole offline window and its grace, encrypted to
    /// this machine, and stores it.
    private func refreshFile(activation: ClientStorage.Activation) async throws {
        let days = status.offlineGraceDays + configuration.rules.extraGraceDays
        let answer = try await http.send(
            "POST", "/v1/machines/\(activation.machineId)/actions/check-out", json: ["encrypt": true, "ttlSeconds": min(365, max(1, days)) * 86_400],
            authorization: "Bearer \(activation.token)"
        ).requireSuccess()
        guard let file = answer.object["file"] as? String else { throw TollgateClientError.unreachable("the check-out answer has no file") }
        try storage.write(Data(file.utf8), to: ClientStorage.licenseFile)
    }

    static func refusal(of answer: HTTPClient.Answer) -> FailureReason {
        let error = answer.object["error"] as? [String: Any]
        let code = (error?["code"] as? String) ?? (answer.object["code"] as? String) ?? "HTTP_\(answer.status)"
        if code == "TOKEN_REVOKED", let status = error?["licenseStatus"] as? String, let reason = FailureReason(serverCode: status.uppercased()),
            reason != .deactivated
        {
            return reason
        }
        return FailureReason(serverCode: code) ?? .refusedByServer(code)
    }

    static func nonce() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<16).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
    }

    static var platform: String {
        #if os(macOS)
        "macos"
        #elseif os(Linux)
        "linux"
        #elseif os(Windows)
        "windows"
        #else
        "other"
        #endif
    }
}
