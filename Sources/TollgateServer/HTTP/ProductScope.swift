import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import TollgateDomain
import TollgateFormats
import TollgateStore

/// Confines an API token with a `productId` to that product's objects, for every route, in one
/// place (after authentication, before any handler):
///
/// - its licenses, policies, entitlements and tiers, its licenses' machines, leases, quotas and
///   validations, usage checks and analytics of its licenses; customers and meters (shared by the
///   account's products) may be read and customers written;
/// - another product's object answers 404, as another account's does;
/// - lists are narrowed to the product (`productId` set on licenses, policies and analytics; the
///   product list holds only the product);
/// - what is the whole account's is refused with 403 `PERMISSION_DENIED`: signing keys, API tokens,
///   users, the audit trail and the event log, the account's settings, new products and meters, and
///   recording usage (which names licenses per event: record it with the license key or an
///   account-wide token);
/// - any route not named here is refused too, so a new route is closed to scoped tokens until it
///   is thought about.
///
/// A token without a product is not touched. A scoped token costs one extra read per request that
/// names an object.
struct ProductScope: RouterMiddleware {
    typealias Context = AppRequestContext
    let store: Store
    let limits: BodyLimits

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard case .apiToken(let token)? = context.credential, let product = token.productId else { return try await next(request, context) }
        let parts = request.uri.path.split(separator: "/").map(String.init).dropFirst()  // after "v1"
        let path = Array(parts)
        let method = request.method
        let account = token.accountId
        guard let first = path.first else { throw refused(token) }
        let id = path.count >= 2 ? path[1] : nil
        switch first {
        case "account" where path.count == 1 && method == .get, "meters" where method == .get, "customers":
            return try await next(request, context)
        case "products":
            guard let id else {
                guard method == .get else { throw refused(token) }
                let found = try await store.read { try await $0.products.find(id: product, accountId: account) }
                return try Response.json(PageBody(data: found.map { [$0] } ?? [], nextCursor: nil))
            }
            guard id == product else { throw TollgateError.notFound(resource: "product", id: id) }
            return try await next(request, context)
        case "policies":
            switch (id, method) {
            case (nil, .get): return try await next(narrowed(request, product: product), context)
            case (nil, .post), ("presets", .post):
                let (body, fields) = try await peek(request)
                let named = fields["productId"] as? String ?? ""
                guard named == product else { throw TollgateError.notFound(resource: "product", id: named) }
                return try await next(body, context)
            case ("presets", .get): return try await next(request, context)
            case (let id?, _):
                guard let policy = try await store.read({ try await $0.policies.find(id: id, accountId: account) }), policy.productId == product else {
                    throw TollgateError.notFound(resource: "policy", id: id)
                }
                return try await next(request, context)
            default: throw refused(token)
            }
        case "licenses":
            switch (id, method) {
            case (nil, .get): return try await next(narrowed(request, product: product), context)
            case (nil, .post):
                let (body, fields) = try await peek(request)
                let policyId = fields["policyId"] as? String ?? ""
                guard let policy = try await store.read({ try await $0.policies.find(id: policyId, accountId: account) }), policy.productId == product else {
                    throw TollgateError.invalid(code: RequestCode.referenceNotFound, field: "policyId", message: "No policy '\(policyId)' of this token's product.")
                }
                return try await next(body, context)
            case (let id?, _):
                try await check(license: id, product: product, account: account)
                return try await next(request, context)
            default: throw refused(token)
            }
        case "machines":
            switch (id, method) {
            case (nil, .get):
                guard let license = request.uri.queryParameters.get("licenseId") else {
                    throw TollgateError.invalid(
                        code: RequestCode.missingField, field: "licenseId", message: "A product's token lists the machines of one license: give 'licenseId'.")
                }
                try await check(license: license, product: product, account: account)
                return try await next(request, context)
            case (nil, .post):
                let (body, fields) = try await peek(request)
                try await check(license: fields["licenseId"] as? String ?? "", product: product, account: account)
                return try await next(body, context)
            case (let id?, _):
                guard let machine = try await store.read({ try await $0.machines.find(id: id, accountId: account) }) else {
                    throw TollgateError.notFound(resource: "machine", id: id)
                }
                try await check(license: machine.licenseId, product: product, account: account, resource: "machine", id: id)
                return try await next(request, context)
            default: throw refused(token)
            }
        case "usage" where path.count == 2 && method == .post && (id == "check" || id == "estimate"):
            let (body, fields) = try await peek(request)
            guard fields["customerId"] == nil else { throw refused(token) }
            try await check(license: fields["licenseId"] as? String ?? "", product: product, account: account)
            return try await next(body, context)
        case "analytics" where method == .get:
            if request.uri.queryParameters.get("customerId") != nil { throw refused(token) }
            if let license = request.uri.queryParameters.get("licenseId") {
                try await check(license: license, product: product, account: account)
                return try await next(request, context)
            }
            return try await next(narrowed(request, product: product), context)
        default:
            throw refused(token)
        }
    }

    func refused(_ token: APIToken) -> TollgateError {
        .forbidden(
            code: RequestCode.permissionDenied,
            message: "This token is confined to product '\(token.productId ?? "")': it reaches that product's licenses, policies, machines and usage, and customers, not this route.")
    }

    /// 404 unless `license` is one of `product`'s (`resource`/`id` name what the request named).
    func check(license: String, product: String, account: String, resource: String = "license", id: String? = nil) async throws {
        guard let found = try await store.read({ try await $0.licenses.find(id: license, accountId: account) }), found.productId == product else {
            throw TollgateError.notFound(resource: resource, id: id ?? license)
        }
    }

    /// The request with its `productId` query parameter set to `product` (replacing any other).
    func narrowed(_ request: Request, product: String) -> Request {
        var components = URLComponents()
        components.path = request.uri.path
        components.queryItems = request.uri.queryParameters.filter { $0.key != "productId" }.map { URLQueryItem(name: String($0.key), value: String($0.value)) }
            + [URLQueryItem(name: "productId", value: product)]
        var head = request.head
        head.path = components.percentEncodedPath + "?" + (components.percentEncodedQuery ?? "")
        return Request(head: head, body: request.body)
    }

    /// The body read once (under the limit) and a request that carries it again, with its top-level fields.
    func peek(_ request: Request) async throws -> (Request, [String: Any]) {
        let data = try await JSONBody.collect(request, limit: limits.maxBodyBytes)
        let fields = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:]
        return (Request(head: request.head, body: RequestBody(buffer: ByteBuffer(bytes: data))), fields)
    }
}
