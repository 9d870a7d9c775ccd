import Foundation
import TollgateDomain
import TollgateFormats
import TollgateStore

/// Records a change in the transaction that makes it, both ways: an entry of the hash-chained
/// audit log (digests of the object before and after) and an event of the account's event log
/// (the object's new state as the API shows it), so that what readers of `GET /v1/events` (and,
/// later, webhooks and billing) see is exactly what committed. A change that is refused throws,
/// its transaction rolls back, and it leaves neither.
///
/// Every change goes through here; the audit log alone records what is not a change (samples of
/// refused tokens). Plain heartbeats, which only move a machine's deadline, are not events.
enum ChangeLog {
    /// One change of one object. `after` is what the audit digests; `state` (by default `after`)
    /// is the event's data.
    static func record<Before: Encodable, After: Encodable>(
        _ session: StoreSession, accountId: String, actor: String, type: String, objectType: String, objectId: String,
        before: Before?, after: After?, at now: Date
    ) async throws {
        try await record(session, accountId: accountId, actor: actor, type: type, objectType: objectType, objectId: objectId, before: before, after: after, state: after, at: now)
    }

    static func record<Before: Encodable, After: Encodable, State: Encodable>(
        _ session: StoreSession, accountId: String, actor: String, type: String, objectType: String, objectId: String,
        before: Before?, after: After?, state: State?, at now: Date
    ) async throws {
        try await session.changes.record(
            accountId: accountId,
            [try change(actor: actor, type: type, objectType: objectType, objectId: objectId, before: before, after: after, state: state)], at: now)
    }

    /// The change ``record(_:accountId:actor:type:objectType:objectId:before:after:state:at:)``
    /// records, for a write that records it itself (``Store/insertMachine(_:change:ifStill:seatLimit:)``).
    static func change<Before: Encodable, After: Encodable, State: Encodable>(
        actor: String, type: String, objectType: String, objectId: String, before: Before?, after: After?, state: State?
    ) throws -> ChangeTable.Change {
        ChangeTable.Change(
            actor: actor, action: type, objectType: objectType, objectId: objectId, before: before, after: after, data: try state.map { try json($0) })
    }

    /// The same change of many objects of one account (a sweep, a cluster drain), with each
    /// object's new state.
    static func recordMany<State: Encodable>(
        _ session: StoreSession, accountId: String, actor: String, type: String, objectType: String, objects: [(id: String, state: State)], at now: Date
    ) async throws {
        try await session.changes.record(
            accountId: accountId,
            try objects.map {
                ChangeTable.Change(
                    actor: actor, action: type, objectType: objectType, objectId: $0.id, beforeDigest: nil, afterDigest: nil, data: try json($0.state))
            }, at: now)
    }

    /// The API form of `value`; hand-written for the types that have it (machines: a sweep
    /// records thousands per batch, and `JSONEncoder` would cost more than the sweep).
    static func json(_ value: some Encodable) throws -> String {
        if let writable = value as? any JSONWritable {
            var json = JSONWriter()
            writable.write(&json)
            return String(decoding: json.bytes, as: UTF8.self)
        }
        return String(decoding: try APICoding.encode(value), as: UTF8.self)
    }
}
