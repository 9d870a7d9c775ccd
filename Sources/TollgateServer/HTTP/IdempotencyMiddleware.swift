import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import Synchronization
import TollgateDomain
import TollgateFormats
import TollgateStore

/// Honours `Idempotency-Key` on every authenticated `POST`, in one place: a retry with the same
/// key and body gets the first request's answer back (`Idempotent-Replayed: true`) instead of a
/// second change; the same key with another body is refused with 422 `IDEMPOTENCY_KEY_REUSED`.
///
/// Exactly once needs the record of a key to commit with the change it made, so the middleware
/// only opens a claim (``IdempotencyClaim``) around the handler, and ``ChangeWriter`` records the
/// change's result under it in the change's own transaction. After the handler, the middleware
/// stores the finished answer (status and body) and answers with whichever answer of the key was
/// stored first, so concurrent retries agree byte for byte. If the process stopped between the
/// change and its answer, a retry runs the handler again with the stored result in place of the
/// change (the handler finishes the answer, for an activation signs its token, but changes
/// nothing), and that answer is stored.
///
/// A key belongs to the credential that sent it and the route it was sent to (method and path):
/// another credential or another route with the same key is a new request, so a replay only
/// ever answers the principal whose request made the answer. A request that changed nothing
/// (refused, or a route that only reads) leaves no record, and its retry runs again.
struct IdempotencyMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let store: Store
    let limits: BodyLimits

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard request.method == .post, let credential = context.credential, let key = try request.idempotencyKey() else {
            return try await next(request, context)
        }
        var request = request
        let data: Data
        do {
            // Buffered in the request, so that the handler reads it again; up to what the largest
            // route takes (a usage batch), each handler then applies its own limit.
            data = Data(try await request.collectBody(upTo: limits.maxBatchBytes).readableBytesView)
        } catch is NIOTooManyBytesError {
            throw TollgateError.payloadTooLarge(limit: limits.maxBatchBytes)
        }
        let route = "\(request.method.rawValue) \(request.uri.path)"
        let claim = IdempotencyClaim(
            scope: IdempotencyTable.Scope(accountId: credential.accountId, principal: credential.actor, route: route, key: key),
            fingerprint: JSONBody.fingerprint(of: data, route: route))
        let scope = claim.scope
        if let saved = try await store.read({ try await $0.idempotency.find(scope) }) {
            try claim.check(saved)
            if saved.complete { return try Self.response(saved, replayed: true) }
            claim.adopt(saved)
        }
        let response: Response
        do {
            response = try await IdempotencyClaim.$current.withValue(claim) { try await next(request, context) }
        } catch let answered as IdempotencyClaim.Answered {
            return try Self.response(answered.saved, replayed: true)
        }
        guard let replayed = claim.recorded, (200..<300).contains(response.status.code) else { return response }
        let (status, body) = (Int(response.status.code), try await Self.text(of: response.body))
        guard let final = try await store.write(lock: .rows, { try await $0.idempotency.complete(scope, status: status, body: body) }) else {
            throw TollgateError.internal
        }
        return try Self.response(final, replayed: replayed)
    }

    static func response(_ saved: IdempotencyTable.Saved, replayed: Bool) throws -> Response {
        var headers: HTTPFields = [:]
        if replayed { headers[HTTPField.Name("Idempotent-Replayed")!] = "true" }
        return try Response.json(status: HTTPResponse.Status(code: saved.status), raw: Data(saved.body.utf8), headers: headers)
    }

    /// A response body as text (our answers are JSON, buffered).
    static func text(of body: ResponseBody) async throws -> String {
        let collector = Collector()
        try await body.write(collector)
        return collector.buffer.withLock { String(buffer: $0) }
    }

    private final class Collector: ResponseBodyWriter, Sendable {
        let buffer = Mutex(ByteBuffer())
        func write(_ part: ByteBuffer) async throws {
            buffer.withLock { buffer in
                var part = part
                buffer.writeBuffer(&part)
            }
        }
        func finish(_ trailingHeaders: HTTPFields?) async throws {}
    }
}

/// A request's `Idempotency-Key`, open while its handler runs (``IdempotencyMiddleware``): the
/// first write of the request through ``ChangeWriter`` records its result under the key in the
/// same transaction, or finds the key's record and answers from it.
final class IdempotencyClaim: Sendable {
    /// The claim of the request being handled, if it sent a key.
    @TaskLocal static var current: IdempotencyClaim?

    let scope: IdempotencyTable.Scope
    /// What the key is bound to: method, path and body (``JSONBody/fingerprint(of:route:)``).
    let fingerprint: String
    private let state = Mutex<State>(State())

    private struct State {
        var taken = false
        var adopted: IdempotencyTable.Saved?
        var recorded: Bool?
    }

    /// Thrown by the change's write when the key's answer is already stored: the middleware
    /// answers with it.
    struct Answered: Error {
        var saved: IdempotencyTable.Saved
    }

    init(scope: IdempotencyTable.Scope, fingerprint: String) {
        self.scope = scope
        self.fingerprint = fingerprint
    }

    /// Refuses a record that another request (another body) made.
    func check(_ saved: IdempotencyTable.Saved) throws(TollgateError) {
        guard saved.requestHash == fingerprint else {
            throw .invalid(
                code: RequestCode.idempotencyKeyReused, field: "Idempotency-Key",
                message: "This Idempotency-Key was used with another request; use a new key for a new request.")
        }
    }

    /// The key's change committed but its answer was never stored: the request's write answers
    /// with the stored result instead of changing anything.
    func adopt(_ saved: IdempotencyTable.Saved) {
        state.withLock { $0.adopted = saved }
    }

    /// The first write of the request takes the claim; later ones (and writes of other requests'
    /// tasks) write plainly. Returns the adopted record, if any, with the claim.
    func take() -> (taken: Bool, adopted: IdempotencyTable.Saved?) {
        state.withLock { state in
            defer { state.taken = true }
            return (!state.taken, state.adopted)
        }
    }

    /// The write recorded a result under the key (`false`), or answers from a result another
    /// attempt recorded (`true`): the middleware stores the finished answer.
    func record(replayed: Bool) {
        state.withLock { $0.recorded = replayed }
    }

    /// Whether the handler's answer is to be stored, and if so whether it replays another attempt's change.
    var recorded: Bool? { state.withLock { $0.recorded } }
}
