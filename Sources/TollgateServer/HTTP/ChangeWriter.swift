import Foundation
import TollgateDomain
import TollgateFormats
import TollgateStore

/// Runs a change in one write transaction and returns its result; under a request's
/// `Idempotency-Key` (``IdempotencyClaim``, opened by ``IdempotencyMiddleware``) it records the
/// result under the key in the same transaction, so that a change and the record of its key
/// commit together or not at all.
///
/// Every change runs under its account's write lock (``WriteLock/account(_:)``): the changes of
/// one account are serialized (its limits need it), other accounts' go on. A change confined to
/// one license (an activation, a lease) passes ``WriteLock/license(account:license:)`` instead, and
/// runs beside the account's changes of other licenses until it appends to the account's logs.
struct ChangeWriter: Sendable {
    let store: Store
    let clock: any TollgateClock

    /// Runs `change` of `accountId`'s objects under `lock` (by default the account's).
    ///
    /// The first write of a request with a key (a claim) records its result; when the key's
    /// record is already there, it is not run again: a finished answer is thrown to the
    /// middleware (``IdempotencyClaim/Answered``), and a change whose answer was never finished
    /// gives back its stored result, from which the handler finishes the answer.
    func write<Result: Codable & Sendable>(
        accountId: String, lock: WriteLock? = nil, _ change: @escaping @Sendable (StoreSession, Date) async throws -> Result
    ) async throws -> Result {
        let lock = lock ?? .account(accountId)
        guard let claim = IdempotencyClaim.current, case (true, let adopted) = claim.take() else {
            let now = clock.now()
            return try await store.write(lock: lock) { session in try await change(session, now) }
        }
        if let adopted {
            claim.record(replayed: true)
            return try APICoding.decode(Result.self, from: Data(adopted.body.utf8))
        }
        var attempt = 0
        while true {
            let now = clock.now()
            do {
                let outcome = try await store.write(lock: lock) { session -> Outcome<Result> in
                    if let saved = try await session.idempotency.find(claim.scope) {
                        try claim.check(saved)
                        return .found(saved)
                    }
                    let result = try await change(session, now)
                    let text = String(decoding: try APICoding.encode(result), as: UTF8.self)
                    // The answer's status and body are stored once the handler has finished it.
                    try await session.idempotency.insert(
                        claim.scope, saved: IdempotencyTable.Saved(requestHash: claim.fingerprint, status: 0, body: text, complete: false), at: now)
                    return .made(result)
                }
                switch outcome {
                case .made(let result):
                    claim.record(replayed: false)
                    return result
                case .found(let saved) where saved.complete:
                    throw IdempotencyClaim.Answered(saved: saved)
                case .found(let saved):
                    claim.record(replayed: true)
                    return try APICoding.decode(Result.self, from: Data(saved.body.utf8))
                }
            } catch StoreError.duplicate where attempt == 0 {
                // A concurrent request with the same key committed first (writers that do not
                // serialize against each other): its record is there now, so look again.
                attempt += 1
            }
        }
    }

    private enum Outcome<Result: Sendable>: Sendable {
        case made(Result)
        case found(IdempotencyTable.Saved)
    }
}
