import Foundation
import Hummingbird
import TollgateDomain
import TollgateFormats
import TollgateStore

/// An object an account manages with create / list / show / update, through a draft type
/// that holds the fields a caller may set and the rules they must meet.
protocol ManagedResource: StoredDocument, Equatable {
    var createdAt: Date { get }
    var updatedAt: Date { get set }
    associatedtype Draft: Codable & Sendable
    /// Singular name in messages and audit actions (`product`).
    static var resourceName: String { get }
    /// What listing and showing one needs, and what creating and changing one needs (``Permit``).
    static var readPermission: Permission { get }
    static var writePermission: Permission { get }
    static var idKind: IdentifierKind { get }
    /// The fields a create body may hold.
    static var draftFields: Set<String> { get }
    /// Fields that a `PATCH` may not change.
    static var immutableFields: Set<String> { get }
    static func table(_ session: StoreSession) -> DocumentTable<Self>
    static func draft(of value: Self) -> Draft
    static func build(_ draft: Draft, id: String, accountId: String, createdAt: Date, now: Date) throws(TollgateError) -> Self
    /// Checks that ids the value names exist in the account.
    static func checkReferences(_ value: Self, session: StoreSession) async throws
    /// A page of the account's objects that match the request's query parameters.
    static func list(_ session: StoreSession, accountId: String, request: Request, page: PageRequest) async throws -> Page<Self>
    /// The error for a unique column that is taken.
    static func duplicateError(_ value: Self) -> TollgateError
}

extension ManagedResource {
    static var immutableFields: Set<String> { [] }
    static func checkReferences(_ value: Self, session: StoreSession) async throws {}
    static func list(_ session: StoreSession, accountId: String, request: Request, page: PageRequest) async throws -> Page<Self> {
        try await table(session).list(accountId: accountId, page: page)
    }
    static func duplicateError(_ value: Self) -> TollgateError {
        .conflict(code: CatalogCode.duplicate, message: "A \(resourceName) like this exists already.")
    }
}

extension Product: ManagedResource {
    static let resourceName = "product"
    static let readPermission = Permission.catalogRead
    static let writePermission = Permission.catalogWrite
    static let idKind = IdentifierKind.product
    static let draftFields: Set<String> = ["code", "name", "metadata"]
    static func table(_ session: StoreSession) -> DocumentTable<Product> { session.products }
    static func draft(of value: Product) -> ProductDraft { ProductDraft(value) }
    static func build(_ draft: ProductDraft, id: String, accountId: String, createdAt: Date, now: Date) throws(TollgateError) -> Product {
        try draft.validated(id: id, accountId: accountId, createdAt: createdAt, now: now)
    }
    static func duplicateError(_ value: Product) -> TollgateError {
        .conflict(code: CatalogCode.productCodeTaken, message: "A product with code '\(value.code)' exists already.", field: "code")
    }
}

extension Customer: ManagedResource {
    static let resourceName = "customer"
    static let readPermission = Permission.customersRead
    static let writePermission = Permission.customersWrite
    static let idKind = IdentifierKind.customer
    static let draftFields: Set<String> = ["name", "email", "emailOptOut", "metadata"]
    static func table(_ session: StoreSession) -> DocumentTable<Customer> { session.customers }
    static func draft(of value: Customer) -> CustomerDraft { CustomerDraft(value) }
    static func build(_ draft: CustomerDraft, id: String, accountId: String, createdAt: Date, now: Date) throws(TollgateError) -> Customer {
        try draft.validated(id: id, accountId: accountId, createdAt: createdAt, now: now)
    }
    static func list(_ session: StoreSession, accountId: String, request: Request, page: PageRequest) async throws -> Page<Customer> {
        try await session.customers.list(accountId: accountId, email: request.queryString("email"), search: try LicenseController.search(request), page: page)
    }
}

extension Policy: ManagedResource {
    static let resourceName = "policy"
    static let readPermission = Permission.catalogRead
    static let writePermission = Permission.catalogWrite
    static let idKind = IdentifierKind.policy
    static let draftFields: Set<String> = [
        "productId", "name", "durationDays", "machineBinding", "maxMachines", "entitlements", "limits", "limitPeriods", "leaseLimit",
        "limitEnforcement", "rank", "telemetry", "cloudDeployment",
        "gracePeriodDays", "offlineGraceDays", "expirationStrategy", "maxClusters", "maxNodesPerCluster", "clusterDrainSeconds",
        "requireHeartbeat", "heartbeatIntervalSeconds", "heartbeatGraceSeconds", "resurrectionWindowSeconds",
        "deadMachineStrategy", "tokenLifetimeMinutes", "renewalReminderDays", "apiRequestsPerMinute", "metadata",
    ]
    static let immutableFields: Set<String> = ["productId"]
    static func table(_ session: StoreSession) -> DocumentTable<Policy> { session.policies }
    static func draft(of value: Policy) -> PolicyDraft { PolicyDraft(value) }
    static func build(_ draft: PolicyDraft, id: String, accountId: String, createdAt: Date, now: Date) throws(TollgateError) -> Policy {
        try draft.validated(id: id, accountId: accountId, createdAt: createdAt, now: now)
    }
    static func checkReferences(_ value: Policy, session: StoreSession) async throws {
        guard try await session.products.find(id: value.productId, accountId: value.accountId) != nil else {
            throw TollgateError.invalid(code: RequestCode.referenceNotFound, field: "productId", message: "No product '\(value.productId)' exists in this account.")
        }
        try await EntitlementCatalogue.requireKnown(value.entitlements, productId: value.productId, accountId: value.accountId, session: session)
    }
    static func list(_ session: StoreSession, accountId: String, request: Request, page: PageRequest) async throws -> Page<Policy> {
        try await session.policies.list(accountId: accountId, productId: request.queryString("productId"), page: page)
    }
}
