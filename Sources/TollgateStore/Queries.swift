import Foundation
import TollgateDomain
import TollgateFormats

/// Which licenses a list shows; every condition that is set must hold. The SQL it stands for is
/// written here, not by the routes that read the query from a request.
public struct LicenseQuery: Sendable, Equatable {
    /// A license's status at ``now``: its stored state, with expiry decided by time.
    public enum Status: String, APIEnum { case active, suspended, expired, revoked }

    public var customerId: String?
    public var productId: String?
    public var policyId: String?
    /// Only licenses that expire before this instant.
    public var expiringBefore: Date?
    public var status: Status?
    /// Words to find, case-insensitively, in the license's document (its key, id and metadata) or
    /// in its customer's (name, email). A scan of the account's licenses (measured in
    /// BENCHMARKS.md), not an index: the other filters are what lists use day to day.
    public var search: String?
    /// The instant that decides `status`.
    public var now: Date

    public init(
        customerId: String? = nil, productId: String? = nil, policyId: String? = nil, expiringBefore: Date? = nil, status: Status? = nil,
        search: String? = nil, now: Date
    ) {
        self.search = search
        self.customerId = customerId
        self.productId = productId
        self.policyId = policyId
        self.expiringBefore = expiringBefore
        self.status = status
        self.now = now
    }

    var filters: [Filter] {
        var filters: [Filter] = []
        if let customerId { filters.append(Filter("customer_id = ?", [.text(customerId)])) }
        if let productId { filters.append(Filter("product_id = ?", [.text(productId)])) }
        if let policyId { filters.append(Filter("policy_id = ?", [.text(policyId)])) }
        if let expiringBefore {
            filters.append(Filter("expires_at IS NOT NULL AND expires_at < ?", [.integer(expiringBefore.epochMilliseconds)]))
        }
        if let search, !search.isEmpty {
            let pattern = Filter.containing(search)
            filters.append(
                Filter(
                    "(lower(data) LIKE ? ESCAPE '\\' OR customer_id IN (SELECT c.id FROM customers c WHERE c.account_id = licenses.account_id AND lower(c.data) LIKE ? ESCAPE '\\'))",
                    [pattern, pattern]))
        }
        let millis = SQLValue.integer(now.epochMilliseconds)
        switch status {
        case nil: break
        case .active: filters.append(Filter("state = 'active' AND (expires_at IS NULL OR expires_at > ?)", [millis]))
        case .expired: filters.append(Filter("state = 'active' AND expires_at IS NOT NULL AND expires_at <= ?", [millis]))
        case .suspended: filters.append(Filter("state = 'suspended'", []))
        case .revoked: filters.append(Filter("state = 'revoked'", []))
        }
        return filters
    }
}

extension DocumentTable where Document == License {
    /// `accountId`'s active licenses whose expiry is after `from` and at or before `to`, in id
    /// order after `afterId`, at most `limit`.
    public func expiring(accountId: String, after from: Date, until to: Date, afterId: String?, limit: Int) async throws -> [License] {
        let rows = try await sql.query(
            """
            SELECT id, data FROM licenses WHERE account_id = ? AND state = 'active' AND expires_at > ? AND expires_at <= ? AND id > ?
            ORDER BY id LIMIT ?
            """,
            [.text(accountId), .integer(from.epochMilliseconds), .integer(to.epochMilliseconds), .text(afterId ?? ""), .integer(Int64(limit))])
        return try rows.compactMap { row in try row.string("id").flatMap { id in try row.string("data").map { try decode($0, id: id) } } }
    }

    /// A page of `accountId`'s licenses that match `query`.
    public func list(accountId: String, query: LicenseQuery, page: PageRequest) async throws -> Page<License> {
        try await list(accountId: accountId, filters: query.filters, page: page)
    }
}

extension DocumentTable where Document == Policy {
    /// A page of `accountId`'s policies, of one product when `productId` is set.
    public func list(accountId: String, productId: String?, page: PageRequest) async throws -> Page<Policy> {
        try await list(accountId: accountId, filters: productId.map { [Filter("product_id = ?", [.text($0)])] } ?? [], page: page)
    }

    /// Every policy of the product, as tiers: by `rank`, then by age.
    public func tiers(accountId: String, productId: String) async throws -> [Policy] {
        var policies: [Policy] = []
        var page = PageRequest(limit: 100, after: nil)
        while true {
            let result = try await list(accountId: accountId, productId: productId, page: page)
            policies += result.items
            guard let next = result.nextCursor else { break }
            page = PageRequest(limit: 100, after: next)
        }
        return policies.sorted { ($0.rank, $0.createdAt, $0.id) < ($1.rank, $1.createdAt, $1.id) }
    }
}

extension DocumentTable where Document == Customer {
    /// A page of `accountId`'s customers, with one email when `email` is set, and containing
    /// `search` (case-insensitively, ASCII) in their document (name, email, metadata) when it is.
    public func list(accountId: String, email: String?, search: String? = nil, page: PageRequest) async throws -> Page<Customer> {
        var filters = email.map { [Filter("email = ?", [.text($0)])] } ?? []
        if let search, !search.isEmpty { filters.append(Filter("lower(data) LIKE ? ESCAPE '\\'", [Filter.containing(search)])) }
        return try await list(accountId: accountId, filters: filters, page: page)
    }
}

extension Filter {
    /// A `LIKE … ESCAPE '\'` pattern that finds `text` anywhere, lowercased, its `%` and `_` taken literally.
    static func containing(_ text: String) -> SQLValue {
        let escaped = text.lowercased().replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%")
            .replacingOccurrences(of: "_", with: "\\_")
        return .text("%\(escaped)%")
    }
}

extension DocumentTable where Document == Entitlement {
    /// A page of the catalogue of `productId`.
    public func list(accountId: String, productId: String, page: PageRequest) async throws -> Page<Entitlement> {
        try await list(accountId: accountId, filters: [Filter("product_id = ?", [.text(productId)])], page: page)
    }
}
