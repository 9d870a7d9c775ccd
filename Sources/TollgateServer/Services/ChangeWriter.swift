import Foundation
import HTTPTypes
import Hummingbird
import TollgateCore
import TollgateStore

/// Runs a change in one write transaction with its audit entries, honouring `Idempotency-Key`:
/// the first request's response is stored in the same transaction, and a retry with the same
/// key and body gets it back (`Idempotent-Replayed: true`) instead of a second change. The
/// same key with another body is refused with 422 `IDEMPOTENCY_KEY_REUSED`.
struct ChangeWriter: Sendable {
    let store: Store
    let clock: any TollgateClock

    func perform<Result: Encodable & Sendable>(
        request: Request, accountId: String, body: JSONBody, status: HTTPResponse.Status,
        _ change: @escaping @Sendable (StoreSession, Date) throws -> Result
    ) async throws -> Response {
        let (saved, replayed) = try await run(request: request, accountId: accountId, body: body, status: status) { session, now in
            String(decoding: try APICoding.encode(try change(session, now)), as: UTF8.self)
        }
        return try Response.json(status: HTTPResponse.Status(code: saved.status), raw: Data(saved.body.utf8), headers: Self.headers(replayed: replayed))
    }

    func perform<Result: Encodable & Sendable>(
        request: Request, context: AuthenticatedContext, body: JSONBody, status: HTTPResponse.Status,
        _ change: @escaping @Sendable (StoreSession, Date) throws -> Result
    ) async throws -> Response {
        try await perform(request: request, accountId: context.accountId, body: body, status: status, change)
    }

    /// Like ``perform(request:accountId:body:status:_:)``, but hands the result back instead of a
    /// response, for routes that finish the answer outside the transaction (signing a token).
    /// A replay decodes the stored result; without an `Idempotency-Key` nothing is encoded.
    func transact<Result: Codable & Sendable>(
        request: Request, accountId: String, body: JSONBody, status: HTTPResponse.Status,
        _ change: @escaping @Sendable (StoreSession, Date) throws -> Result
    ) async throws -> (result: Result, status: HTTPResponse.Status, headers: HTTPFields) {
        if try request.idempotencyKey() == nil {
            let now = clock.now()
            return (try await store.write { session in try change(session, now) }, status, [:])
        }
        let (saved, replayed) = try await run(request: request, accountId: accountId, body: body, status: status) { session, now in
            String(decoding: try APICoding.encode(try change(session, now)), as: UTF8.self)
        }
        let result = try APICoding.decode(Result.self, from: Data(saved.body.utf8))
        return (result, HTTPResponse.Status(code: saved.status), Self.headers(replayed: replayed))
    }

    private func run(
        request: Request, accountId: String, body: JSONBody, status: HTTPResponse.Status,
        _ change: @escaping @Sendable (StoreSession, Date) throws -> String
    ) async throws -> (IdempotencyTable.Saved, Bool) {
        let key = try request.idempotencyKey()
        let fingerprint = body.fingerprint(method: request.method, path: request.uri.path)
        let now = clock.now()
        return try await store.write { session -> (IdempotencyTable.Saved, Bool) in
            if let key, let saved = try session.idempotency.find(accountId: accountId, key: key) {
                guard saved.requestHash == fingerprint else {
                    throw TollgateError.invalid(
                        code: "IDEMPOTENCY_KEY_REUSED", field: "Idempotency-Key",
                        message: "This Idempotency-Key was used with another request; use a new key for a new request.")
                }
                return (saved, true)
            }
            let saved = IdempotencyTable.Saved(requestHash: fingerprint, status: Int(status.code), body: try change(session, now))
            if let key { try session.idempotency.insert(accountId: accountId, key: key, saved: saved, at: now) }
            return (saved, false)
        }
    }

    private static func headers(replayed: Bool) -> HTTPFields {
        var headers: HTTPFields = [:]
        if replayed { headers[HTTPField.Name("Idempotent-Replayed")!] = "true" }
        return headers
    }

    /// A change without a body or idempotency (`PATCH`).
    func update<Result: Encodable & Sendable>(_ change: @escaping @Sendable (StoreSession, Date) throws -> Result) async throws -> Response {
        let now = clock.now()
        let result = try await store.write { session in try change(session, now) }
        return try Response.json(result)
    }
}
