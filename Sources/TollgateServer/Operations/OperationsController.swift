import Foundation
import Hummingbird
import NIOCore
import TollgateDomain
import TollgateFormats
import TollgateStore

/// Routes for operators and verifiers: `/healthz`, `/readyz`, `/metrics`,
/// `/.well-known/jwks.json` and `/openapi.json`.
struct OperationsController: Sendable {
    let store: Store
    let keys: KeyService
    let business: BusinessMetrics

    func addRoutes(to router: Router<AppRequestContext>) {
        router.get("healthz") { _, _ in
            try Response.json(raw: Data(#"{"status":"ok"}"#.utf8))
        }
        router.get("readyz") { _, _ in
            do {
                try await store.ready()
                return try Response.json(raw: Data(#"{"status":"ready"}"#.utf8))
            } catch {
                return try Response.json(
                    status: .serviceUnavailable, raw: Data(#"{"status":"unavailable","reason":"the database does not answer or take writes"}"#.utf8),
                    headers: [.retryAfter: "2"])
            }
        }
        router.get("metrics") { _, _ in
            await business.refresh()
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                body: .init(byteBuffer: ByteBuffer(bytes: MetricsRegistry.render())))
        }
        router.get(".well-known/jwks.json") { request, _ in
            let accountId = request.queryString("account")
            return try Response.json(keys.snapshot.jwks(accountId: accountId), headers: [.cacheControl: "public, max-age=300"])
        }
        router.get("openapi.json") { _, _ in
            try Response.json(raw: Data(OpenAPIDocument.bytes))
        }
    }
}
