import Foundation
import Hummingbird
import TollgateDomain
import TollgateFormats
import TollgateStore

/// Air-gapped activation and deactivation over HTTP: reads the blocks, and leaves the rest to
/// ``OfflineActivator``.
struct OfflineController: Sendable {
    let store: Store
    let keys: KeyService
    let clock: any TollgateClock
    let limits: BodyLimits

    func addRoutes(to router: Router<AppRequestContext>) {
        router.post("v1/machines/offline-activations") { request, _ in try await activate(request) }
        router.post("v1/machines/offline-deactivations") { request, _ in try await deactivate(request) }
    }

    struct ActivationBody: Decodable {
        /// The armored activation request.
        var request: String
        var encrypt: Bool?
        var ttlSeconds: Int?
    }

    /// Activates the requested machine and answers its machine file (201). A request that was
    /// already used for a machine that is still active is answered again with a fresh file (200).
    func activate(_ request: Request) async throws -> Response {
        let body = try await JSONBody.read(request, limit: limits.maxBodyBytes, allowedFields: ["request", "encrypt", "ttlSeconds"])
            .decode(ActivationBody.self)
        guard let block = OfflineBlock<OfflineActivationRequest>.parse(body.request, label: OfflineActivationRequest.label) else {
            throw TollgateError.invalid(code: OfflineCode.requestMalformed, field: "request", message: "This is not a readable Tollgate activation request.")
        }
        let (keys, now) = (self.keys, clock.now())
        let options = LicenseCheckout.Options(encrypt: body.encrypt, ttlSeconds: body.ttlSeconds)
        try OfflineActivator.check(block.body, now: now)
        let (answer, created) = try await store.write { session in
            try await OfflineActivator.activate(block, options: options, keys: keys, session: session, now: now)
        }
        return try Response.json(status: created ? .created : .ok, answer)
    }

    /// Frees the seat named by a deactivation receipt. Submitting it again answers the same machine.
    func deactivate(_ request: Request) async throws -> Response {
        struct Body: Decodable { var receipt: String }
        let body = try await JSONBody.read(request, limit: limits.maxBodyBytes, allowedFields: ["receipt"]).decode(Body.self)
        guard let block = OfflineBlock<OfflineDeactivationReceipt>.parse(body.receipt, label: OfflineDeactivationReceipt.label) else {
            throw TollgateError.invalid(code: OfflineCode.receiptMalformed, field: "receipt", message: "This is not a readable Tollgate deactivation receipt.")
        }
        let now = clock.now()
        let view = try await store.write { session in try await OfflineActivator.deactivate(block, session: session, now: now) }
        return try Response.json(view)
    }
}
