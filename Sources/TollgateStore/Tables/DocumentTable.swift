import TollgateDomain
import TollgateFormats

/// An object that belongs to one account and is stored as a document.
public protocol StoredDocument: Codable, Sendable {
    var id: String { get }
    var accountId: String { get }
}

extension Product: StoredDocument {}
extension Policy: StoredDocument {}
extension Customer: StoredDocument {}
extension License: StoredDocument {}
extension Entitlement: StoredDocument {}
extension Meter: StoredDocument {}
extension WebhookEndpoint: StoredDocument {}

/// A table of documents: `id`, `account_id`, the JSON `data`, and the columns lists filter on,
/// all written from the same value. Every read is scoped to an account.
public struct DocumentTable<Document: StoredDocument> {
    let sql: any SQLExecutor
    let documents: DocumentCache
    let table: String
    let columns: [String]
    let project: (Document) -> [SQLValue]

    init(sql: any SQLExecutor, documents: DocumentCache, table: String, columns: [String], project: @escaping (Document) -> [SQLValue]) {
        self.sql = sql
        self.documents = documents
        self.table = table
        self.columns = columns
        self.project = project
    }

    /// Inserts a new document. Throws ``StoreError/duplicate(_:)`` if a unique column is taken.
    public func insert(_ document: Document) async throws {
        let names = ["id", "account_id"] + columns + ["data"]
        let placeholders = Array(repeating: "?", count: names.count).joined(separator: ", ")
        try await sql.execute(
            "INSERT INTO \(table) (\(names.joined(separator: ", "))) VALUES (\(placeholders))",
            [.text(document.id), .text(document.accountId)] + project(document) + [.text(try DocumentCoding.encode(document))])
    }

    /// Replaces a stored document.
    public func update(_ document: Document) async throws {
        let assignments = (columns + ["data"]).map { "\($0) = ?" }.joined(separator: ", ")
        try await sql.execute(
            "UPDATE \(table) SET \(assignments) WHERE id = ? AND account_id = ?",
            project(document) + [.text(try DocumentCoding.encode(document)), .text(document.id), .text(document.accountId)])
    }

    /// The document with `id` in `accountId`, if any.
    public func find(id: String, accountId: String) async throws -> Document? {
        guard let row = try await sql.queryOne("SELECT data FROM \(table) WHERE id = ? AND account_id = ?", [.text(id), .text(accountId)]),
            let data = row.string("data")
        else { return nil }
        return try decode(data, id: id)
    }

    /// Decodes stored text, or returns the document decoded from the same text before.
    func decode(_ text: String, id: String) throws -> Document {
        let key = "\(table)/\(id)"
        if let known = documents.document(Document.self, key: key, text: text) { return known }
        let document = try DocumentCoding.decode(Document.self, from: text)
        documents.remember(document, key: key, text: text)
        return document
    }

    /// The document with `id` in whichever account holds it (ids are unique across accounts), for
    /// callers that prove their right to it another way (an offline request's proof).
    public func find(id: String) async throws -> Document? {
        guard let row = try await sql.queryOne("SELECT data FROM \(table) WHERE id = ?", [.text(id)]), let data = row.string("data") else { return nil }
        return try decode(data, id: id)
    }

    /// A page of `accountId`'s documents matching every filter, in id (creation) order.
    public func list(accountId: String, page: PageRequest) async throws -> Page<Document> {
        try await list(accountId: accountId, filters: [], page: page)
    }

    /// ``list(accountId:page:)`` with conditions (the typed queries in `Queries.swift` build them).
    func list(accountId: String, filters: [Filter], page: PageRequest) async throws -> Page<Document> {
        var clauses = ["account_id = ?"] + filters.map(\.clause)
        var arguments: [SQLValue] = [.text(accountId)] + filters.flatMap(\.arguments)
        if let after = page.after {
            clauses.append("id > ?")
            arguments.append(.text(after))
        }
        arguments.append(.integer(Int64(page.limit + 1)))
        let rows = try await sql.query(
            "SELECT id, data FROM \(table) WHERE \(clauses.joined(separator: " AND ")) ORDER BY id LIMIT ?", arguments)
        // Through the decode cache: a quota answer lists the product's tiers every time.
        var items = try rows.compactMap { row in row.string("id").flatMap { id in row.string("data").map { (id, $0) } } }
            .map { try decode($1, id: $0) }
        var next: String?
        if items.count > page.limit {
            items.removeLast()
            next = items.last?.id
        }
        return Page(items: items, nextCursor: next)
    }
}

extension DocumentTable where Document == Entitlement {
    /// Every code in `productId`'s catalogue.
    public func codes(accountId: String, productId: String) async throws -> Set<String> {
        Set(try await sql.query("SELECT code FROM entitlements WHERE account_id = ? AND product_id = ?", [.text(accountId), .text(productId)]).compactMap { $0.string("code") })
    }
}

extension DocumentTable where Document == Meter {
    /// The account's meters by code.
    public func byCode(accountId: String) async throws -> [String: Meter] {
        var meters: [String: Meter] = [:]
        for row in try await sql.query("SELECT id, code, data FROM meters WHERE account_id = ?", [.text(accountId)]) {
            guard let id = row.string("id"), let code = row.string("code"), let text = row.string("data") else { continue }
            meters[code] = try decode(text, id: id)
        }
        return meters
    }
}
