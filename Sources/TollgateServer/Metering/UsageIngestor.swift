import Foundation
import TollgateDomain
import TollgateFormats
import TollgateStore

/// Stores a batch of usage events exactly once each, in one transaction: checks every event on
/// its own (a bad one is refused, the good ones are stored), then inserts the new ones keyed by
/// the account and the sender's id. An id stored before answers `duplicate` when its content is
/// the same and `conflict` when it is not; the stored event always stands.
///
/// Exactness does not depend on a claim taken before the write: the insert itself is the claim,
/// in the transaction that stores the event, so a batch whose first attempt failed halfway, or
/// whose answer was lost, is counted once when sent again, and two replicas storing the same
/// batch at once store each event once (PostgreSQL makes the second insert of a key wait for the
/// first transaction, then skip it).
enum UsageIngestor {
    /// What became of one event, in the order of the batch.
    struct Result: Codable, Sendable, Equatable {
        var index: Int
        var id: String?
        var status: UsageEventStatus
        var code: String?
        var message: String?
    }

    /// What a batch's transaction did: each event's result, and the feature uses it recorded
    /// (to remember once committed, ``FeatureUseMemo``).
    struct Ingestion: Codable, Sendable {
        var results: [Result]
        var featureUses: [UsageAnalyticsTable.FeatureUse]
    }

    /// How far back and ahead of the server's clock an event's time may be
    /// (`TOLLGATE_USAGE_LATE_DAYS`, `TOLLGATE_USAGE_AHEAD_MINUTES`).
    struct Window: Sendable {
        var lateDays: Int
        var aheadMinutes: Int

        static let standard = Window(lateDays: 35, aheadMinutes: 5)
    }

    static func ingest(
        _ inputs: [Swift.Result<UsageEventInput, UsageEventRefusal>], credential: Credential, window: Window = .standard,
        featureUses: FeatureUseMemo? = nil, session: StoreSession, now: Date
    ) async throws -> Ingestion {
        let accountId = credential.accountId
        // A machine token must still be current (a revoked one answers 401 TOKEN_REVOKED, as on
        // every route that takes machine tokens). A suspended license's usage is still recorded:
        // it happened, and billing needs it.
        if case .machine(let token) = credential {
            _ = try await MachineActivator.loadMachine(token.machine, credential: credential, session: session, now: now)
        }
        var results = [Result?](repeating: nil, count: inputs.count)
        func refuse(_ index: Int, _ id: String?, _ code: MeteringCode, _ message: String) {
            results[index] = Result(index: index, id: id, status: .rejected, code: code.rawValue, message: message)
        }

        // Each event on its own: its license (the credential's own, for a key or a machine token),
        // its machine, its time.
        var candidates: [(index: Int, input: UsageEventInput, licenseId: String, timestamp: Date)] = []
        let customers = try await licensesOfCustomers(inputs, credential: credential, session: session)
        for (index, read) in inputs.enumerated() {
            var input: UsageEventInput
            switch read {
            case .failure(let refusal): refuse(index, refusal.id, refusal.code, refusal.message); continue
            case .success(let value): input = value
            }
            let licenseId: String
            switch credential {
            case .apiToken:
                if let customer = input.customerId {
                    let held = customers[customer] ?? []
                    guard held.count == 1 else {
                        refuse(
                            index, input.id, .unknownLicense,
                            held.isEmpty
                                ? "The account has no customer '\(customer)' with a license that is not revoked."
                                : "Customer '\(customer)' holds \(held.count) licenses: name one by 'licenseId'.")
                        continue
                    }
                    licenseId = held[0]
                    break
                }
                guard let id = input.licenseId else {
                    refuse(index, input.id, .invalidUsageEvent, "'licenseId' (or 'customerId') is required when recording usage with an API token.")
                    continue
                }
                licenseId = id
            case .license where input.customerId != nil, .machine where input.customerId != nil:
                refuse(index, input.id, .unknownLicense, "A license key or machine token records usage of its own license: leave out 'customerId'.")
                continue
            case .license(let own, _):
                guard input.licenseId == nil || input.licenseId == own else {
                    refuse(index, input.id, .unknownLicense, "A license key records usage of its own license only.")
                    continue
                }
                licenseId = own
            case .machine(let token):
                guard input.licenseId == nil || input.licenseId == token.license, input.machineId == nil || input.machineId == token.machine else {
                    refuse(index, input.id, .unknownLicense, "A machine token records usage of its own license and machine only.")
                    continue
                }
                licenseId = token.license
                input.machineId = token.machine
            }
            let timestamp = input.timestamp ?? now
            guard timestamp >= now.addingTimeInterval(-TimeInterval(window.lateDays) * 86_400),
                timestamp <= now.addingTimeInterval(TimeInterval(window.aheadMinutes) * 60)
            else {
                refuse(
                    index, input.id, .timestampOutOfRange,
                    "Events are taken up to \(window.lateDays) days back and \(window.aheadMinutes) minutes ahead of the server's clock.")
                continue
            }
            candidates.append((index, input, licenseId, timestamp))
        }

        // What the account has: meters by code, the licenses (with their policies) and machines
        // the batch names.
        let meters = try await session.meters.byCode(accountId: accountId)
        var contexts: [String: LicenseContext] = [:]
        for licenseId in Set(candidates.map(\.licenseId)) {
            contexts[licenseId] = try await session.licenseContext(id: licenseId, accountId: accountId)
        }
        let machineIds = Array(Set(candidates.compactMap(\.input.machineId)))
        var machines: [String: String] = [:]  // machine → its license
        for machine in try await session.machines.find(ids: machineIds) where machine.accountId == accountId { machines[machine.id] = machine.licenseId }

        // The first event of each id in the batch is the one stored; later ones compare with it.
        var first: [String: (index: Int, event: UsageEvent)] = [:]
        var fresh: [Pending] = []
        var repeated: [(index: Int, event: UsageEvent)] = []
        var salt: [UInt8]?
        for candidate in candidates {
            var (index, input) = (candidate.index, candidate.input)
            guard let meter = meters[input.meter] else {
                refuse(index, input.id, .unknownMeter, "The account has no meter '\(input.meter)'.")
                continue
            }
            guard let context = contexts[candidate.licenseId] else {
                refuse(index, input.id, .unknownLicense, "The account has no license '\(candidate.licenseId)'.")
                continue
            }
            if let machineId = input.machineId, machines[machineId] != candidate.licenseId {
                refuse(index, input.id, .unknownMachine, "The license has no machine '\(machineId)'.")
                continue
            }
            let reading: MeterReading?
            switch meter.reading(quantity: input.quantity, properties: input.propertyValues) {
            case .failure(let refusal):
                refuse(index, input.id, refusal.code, refusal.message)
                continue
            case .success(let value): reading = value
            }
            var licenseId = candidate.licenseId
            if meter.kind == .telemetry {
                guard context.policy?.telemetry == true else {
                    refuse(
                        index, input.id, .telemetryNotOptedIn,
                        "License '\(licenseId)' has not opted into telemetry: its policy's 'telemetry' is off.")
                    continue
                }
                // Stored under pseudonyms from here on: the event, its counters and roll-ups.
                if salt == nil { salt = try await session.accounts.telemetrySalt(accountId: accountId, candidate: TelemetryPseudonym.newSalt()) }
                licenseId = TelemetryPseudonym.make(licenseId, salt: salt!)
                input.machineId = input.machineId.map { TelemetryPseudonym.make($0, salt: salt!) }
            }
            let event = input.event(accountId: accountId, licenseId: licenseId, at: candidate.timestamp, receivedAt: now)
            if first[event.id] != nil {
                repeated.append((index, event))
            } else {
                first[event.id] = (index, event)
                fresh.append(Pending(index: index, event: event, meter: meter, reading: reading))
            }
        }

        // Blocking limits refuse, in batch order, the new events that would take usage past them.
        var limitRefusals: [String: String] = [:]  // id → reason
        fresh = try await enforceBlockingLimits(fresh, contexts: contexts, accountId: accountId, session: session) { pending, message in
            refuse(pending.index, pending.event.id, .usageLimitReached, message)
            limitRefusals[pending.event.id] = message
        }

        let inserted = try await session.usageEvents.insertNew(fresh.map(\.event))
        let stored = try await session.usageEvents.payloadHashes(accountId: accountId, ids: fresh.map(\.event.id).filter { !inserted.contains($0) })
        let counted = fresh.compactMap { pending in
            pending.reading.flatMap { inserted.contains(pending.event.id) ? UsageCounting.Counted(event: pending.event, meter: pending.meter, reading: $0) : nil }
        }
        let uses = try await UsageCounting.count(counted, accountId: accountId, known: featureUses, session: session)
        try await UsageThresholds.record(counted, contexts: contexts, credential: credential, session: session, now: now)

        func outcome(_ index: Int, _ event: UsageEvent, storedHash: String?) {
            if storedHash == event.payloadHash {
                results[index] = Result(index: index, id: event.id, status: .duplicate, code: nil, message: nil)
            } else {
                results[index] = Result(
                    index: index, id: event.id, status: .conflict, code: MeteringCode.usageEventConflict.rawValue,
                    message: "An event with id '\(event.id)' and other content was recorded before; it stands, and this one is not recorded.")
            }
        }
        for (index, event) in first.values where limitRefusals[event.id] == nil {
            if inserted.contains(event.id) {
                results[index] = Result(index: index, id: event.id, status: .accepted, code: nil, message: nil)
            } else {
                outcome(index, event, storedHash: stored[event.id])
            }
        }
        // A repeat within the batch compares with what now stands under its id.
        for (index, event) in repeated {
            if let reason = limitRefusals[event.id] {
                refuse(index, event.id, .usageLimitReached, reason)
                continue
            }
            outcome(index, event, storedHash: inserted.contains(event.id) ? first[event.id]?.event.payloadHash : stored[event.id])
        }
        return Ingestion(
            results: results.enumerated().map { $0.element ?? Result(index: $0.offset, id: nil, status: .rejected, code: nil, message: nil) },
            featureUses: uses)
    }

    /// The licenses that are not revoked of each customer the batch's events name (API tokens only).
    static func licensesOfCustomers(
        _ inputs: [Swift.Result<UsageEventInput, UsageEventRefusal>], credential: Credential, session: StoreSession
    ) async throws -> [String: [String]] {
        guard case .apiToken = credential else { return [:] }
        var held: [String: [String]] = [:]
        for customer in Set(inputs.compactMap { try? $0.get().customerId }).sorted() {
            held[customer] = try await session.sql.query(
                "SELECT id FROM licenses WHERE account_id = ? AND customer_id = ? AND state <> 'revoked' ORDER BY id LIMIT 2",
                [.text(credential.accountId), .text(customer)]
            ).compactMap { $0.string("id") }
        }
        return held
    }

    /// An event of the batch not seen before in it, with what it adds to its meter (`nil`: the
    /// meter's filters leave it out).
    struct Pending {
        var index: Int
        var event: UsageEvent
        var meter: Meter
        var reading: MeterReading?
    }

    /// Takes out of `fresh` the events a blocking limit refuses, calling `refuse` for each.
    ///
    /// The check holds against concurrent batches: the counter rows of the limits' periods are
    /// locked first (in key order), then the events already stored are set aside (they are
    /// duplicates or conflicts, not new usage), then each new event is added to its period's
    /// usage in batch order until one would pass the limit.
    static func enforceBlockingLimits(
        _ fresh: [Pending], contexts: [String: LicenseContext], accountId: String, session: StoreSession,
        refuse: (Pending, String) -> Void
    ) async throws -> [Pending] {
        var quotas: [UsagePeriodKey: UsageQuota] = [:]
        var meters: [UsagePeriodKey: Meter] = [:]
        var keys: [Int: UsagePeriodKey] = [:]  // index in fresh → its blocking quota
        for (position, pending) in fresh.enumerated() where pending.reading != nil {
            guard let context = contexts[pending.event.licenseId],
                let quota = UsageQuotas.quota(of: pending.meter, license: context.license, policy: context.policy, at: pending.event.timestamp),
                quota.enforcement == .block, quota.limitMicros != nil
            else { continue }
            let key = UsagePeriodKey(licenseId: pending.event.licenseId, meter: pending.meter.code, start: quota.window.start)
            keys[position] = key
            quotas[key] = quota
            meters[key] = pending.meter
        }
        guard !quotas.isEmpty else { return fresh }
        for key in quotas.keys.sorted() {
            guard let quota = quotas[key], let meter = meters[key] else { continue }
            try await UsageCounting.lock(meter: meter, licenseId: key.licenseId, window: quota.window, accountId: accountId, session: session)
        }
        let stored = try await session.usageEvents.payloadHashes(accountId: accountId, ids: keys.keys.map { fresh[$0].event.id })
        for (key, quota) in quotas {
            guard let meter = meters[key] else { continue }
            // Blocking limits are never time-weighted averages (UsageQuotas.quota): `at` is unused.
            quotas[key]?.tally = try await UsageCounting.tally(
                of: meter, licenseId: key.licenseId, window: quota.window, at: quota.window.start, accountId: accountId, session: session)
        }
        var seen: Set<[String]> = []  // distinct values counted in this batch: license, meter, window, value
        var kept: [Pending] = []
        for (position, pending) in fresh.enumerated() {
            guard let key = keys[position], let quota = quotas[key], let reading = pending.reading, stored[pending.event.id] == nil else {
                kept.append(pending)
                continue
            }
            var addition = UsageTally(reading, at: pending.event.timestamp.epochMilliseconds)
            if let value = reading.distinct {
                let distinct = UsageCounterTable.DistinctValue(
                    licenseId: key.licenseId, meter: key.meter, period: quota.window.period, startsAt: quota.window.start, value: value)
                let known = [key.licenseId, key.meter, String(key.start.epochMilliseconds), value]
                var counted = seen.contains(known)
                if !counted { counted = try await session.usageCounters.hasDistinct(accountId: accountId, distinct) }
                if counted { addition = .empty }
                seen.insert(known)
            }
            if quota.refuses(addition) {
                refuse(pending, UsageQuotas.reachedMessage(quota))
            } else {
                quotas[key]?.tally.merge(addition, quota.aggregation)
                kept.append(pending)
            }
        }
        return kept
    }
}

/// A license's meter in one period (a quota's window, a time-weighted average's hour).
struct UsagePeriodKey: Hashable, Comparable {
    var licenseId: String
    var meter: String
    var start: Date

    static func < (a: Self, b: Self) -> Bool { (a.licenseId, a.meter, a.start) < (b.licenseId, b.meter, b.start) }
}
