import Foundation
import HTTPTypes
import Hummingbird
import TollgateDomain
import TollgateFormats
import TollgateStore

/// Runs a change in one write transaction with its audit entries, honouring `Idempotency-Key`:
/// the first request's answer is stored in the same transaction, and a retry with the same key
/// and body gets it back (`Idempotent-Replayed: true`) instead of a second change. The same key
/// with another body is refused with 422 `IDEMPOTENCY_KEY_REUSED`.
///
/// Every change runs under its account's write lock (``WriteLock/account(_:)``): the changes of
/// one account are serialized (its limits need it), other accounts' go on. A change confined to
/// one license (an activation, a lease) passes ``WriteLock/license(account:license:)`` instead, and
/// runs beside the account's changes of other licenses until it appends to the account's logs.
///
/// A key belongs to the credential that sent it and the route it was sent to (method and path):
/// another credential or another route with the same key is a new request, so a replay only
/// ever answers the principal whose request made the answer.
struct ChangeWriter: Sendable {
    let store: Store
    let clock: any TollgateClock

    /// A change whose answer is its result, encoded.
    func perform<Result: Encodable & Sendable>(
        request: Request, accountId: String, actor: String, body: JSONBody, status: HTTPResponse.Status, lock: WriteLock? = nil,
        _ change: @escaping @Sendable (StoreSession, Date) throws -> Result
    ) async throws -> Response {
        let encode: @Sendable (StoreSession, Date) throws -> String = { session, now in
            String(decoding: try APICoding.encode(try change(session, now)), as: UTF8.self)
        }
        let lock = lock ?? .account(accountId)
        guard let scope = try scope(of: request, accountId: accountId, actor: actor) else {
            let now = clock.now()
            let answer = try await store.write(lock: lock) { session in try encode(session, now) }
            return try Self.response(IdempotencyTable.Saved(requestHash: "", status: Int(status.code), body: answer), replayed: false)
        }
        let (saved, replayed) = try await begin(
            scope, fingerprint: body.fingerprint(method: request.method, path: request.uri.path), status: status, complete: true, lock: lock, encode)
        return try Self.response(saved, replayed: replayed)
    }

    func perform<Result: Encodable & Sendable>(
        request: Request, context: AuthenticatedContext, body: JSONBody, status: HTTPResponse.Status,
        _ change: @escaping @Sendable (StoreSession, Date) throws -> Result
    ) async throws -> Response {
        try await perform(request: request, accountId: context.accountId, actor: context.actor, body: body, status: status, change)
    }

    /// A change whose answer is finished outside its transaction (an activation signs its token
    /// after the machine is stored): `finish` turns the change's result into the answer's bytes.
    ///
    /// With an `Idempotency-Key`, the result is stored with the change and the finished answer
    /// after it, and every retry gets that first answer byte for byte. If the process stopped
    /// between the two, the retry finishes the answer from the stored result (that answer was
    /// never sent); concurrent retries agree on whichever answer was stored first.
    func perform<Stored: Codable & Sendable>(
        request: Request, accountId: String, actor: String, body: JSONBody, status: HTTPResponse.Status, lock: WriteLock? = nil,
        _ change: @escaping @Sendable (StoreSession, Date) throws -> Stored, finish: @Sendable (Stored) async throws -> Data
    ) async throws -> Response {
        let lock = lock ?? .account(accountId)
        guard let scope = try scope(of: request, accountId: accountId, actor: actor) else {
            let now = clock.now()
            let stored = try await store.write(lock: lock) { session in try change(session, now) }
            return try Response.json(status: status, raw: try await finish(stored))
        }
        let (saved, replayed) = try await begin(
            scope, fingerprint: body.fingerprint(method: request.method, path: request.uri.path), status: status, complete: false, lock: lock
        ) { session, now in
            String(decoding: try APICoding.encode(try change(session, now)), as: UTF8.self)
        }
        if saved.complete { return try Self.response(saved, replayed: replayed) }
        let answer = try await finish(try APICoding.decode(Stored.self, from: Data(saved.body.utf8)))
        let text = String(decoding: answer, as: UTF8.self)
        guard let final = try await store.write(lock: .rows, { session in try session.idempotency.complete(scope, body: text) }) else {
            throw TollgateError.internal
        }
        return try Self.response(final, replayed: replayed)
    }

    /// A change of `accountId`'s objects without a body or idempotency (`PATCH`, which is
    /// idempotent by nature).
    func update<Result: Encodable & Sendable>(
        accountId: String, _ change: @escaping @Sendable (StoreSession, Date) throws -> Result
    ) async throws -> Response {
        let now = clock.now()
        let result = try await store.write(lock: .account(accountId)) { session in try change(session, now) }
        return try Response.json(result)
    }

    /// The record a request with an `Idempotency-Key` would own; `nil` without the header.
    private func scope(of request: Request, accountId: String, actor: String) throws(TollgateError) -> IdempotencyTable.Scope? {
        guard let key = try request.idempotencyKey() else { return nil }
        return IdempotencyTable.Scope(accountId: accountId, principal: actor, route: "\(request.method.rawValue) \(request.uri.path)", key: key)
    }

    /// The record of `scope`: the stored one (replayed), or a new one holding what `change`
    /// produced, written in the change's transaction.
    private func begin(
        _ scope: IdempotencyTable.Scope, fingerprint: String, status: HTTPResponse.Status, complete: Bool, lock: WriteLock,
        _ change: @escaping @Sendable (StoreSession, Date) throws -> String
    ) async throws -> (IdempotencyTable.Saved, replayed: Bool) {
        var attempt = 0
        while true {
            let now = clock.now()
            do {
                return try await store.write(lock: lock) { session -> (IdempotencyTable.Saved, Bool) in
                    if let saved = try session.idempotency.find(scope) {
                        guard saved.requestHash == fingerprint else {
                            throw TollgateError.invalid(
                                code: RequestCode.idempotencyKeyReused, field: "Idempotency-Key",
                                message: "This Idempotency-Key was used with another request; use a new key for a new request.")
                        }
                        return (saved, true)
                    }
                    let saved = IdempotencyTable.Saved(requestHash: fingerprint, status: Int(status.code), body: try change(session, now), complete: complete)
                    try session.idempotency.insert(scope, saved: saved, at: now)
                    return (saved, false)
                }
            } catch StoreError.duplicate where attempt == 0 {
                // A concurrent request with the same scope committed first (writers that do not
                // serialize against each other): its record is there now, so look again.
                attempt += 1
            }
        }
    }

    private static func response(_ saved: IdempotencyTable.Saved, replayed: Bool) throws -> Response {
        var headers: HTTPFields = [:]
        if replayed { headers[HTTPField.Name("Idempotent-Replayed")!] = "true" }
        return try Response.json(status: HTTPResponse.Status(code: saved.status), raw: Data(saved.body.utf8), headers: headers)
    }
}
