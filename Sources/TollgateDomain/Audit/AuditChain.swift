import Crypto
import Foundation
import TollgateFormats

/// One entry of an account's hash-chained audit log.
public struct AuditEvent: Codable, Sendable, Equatable {
    public var id: String
    public var accountId: String
    /// Position in the account's chain, from 1 without gaps.
    public var sequence: Int64
    /// Who made the change: a token id, `system` or `cli`.
    public var actor: String
    /// What happened, e.g. `license.suspended`.
    public var action: String
    public var objectType: String
    public var objectId: String
    /// SHA-256 of the object's canonical JSON before and after; `nil` where there is none.
    public var beforeDigest: String?
    public var afterDigest: String?
    public var occurredAt: Date
    /// The previous entry's hash (64 zeros for the first).
    public var previousHash: String
    public var hash: String

    public init(
        id: String, accountId: String, sequence: Int64, actor: String, action: String, objectType: String, objectId: String,
        beforeDigest: String?, afterDigest: String?, occurredAt: Date, previousHash: String, hash: String
    ) {
        self.id = id
        self.accountId = accountId
        self.sequence = sequence
        self.actor = actor
        self.action = action
        self.objectType = objectType
        self.objectId = objectId
        self.beforeDigest = beforeDigest
        self.afterDigest = afterDigest
        self.occurredAt = occurredAt
        self.previousHash = previousHash
        self.hash = hash
    }
}

/// The hash chain over audit events: each entry's hash covers its fields and the previous
/// entry's hash, so an edited, removed or reordered entry breaks every hash after it.
public enum AuditChain {
    /// The previous hash of the first entry.
    public static let genesis = String(repeating: "0", count: 64)

    /// A new entry that follows `previous` (or starts the chain).
    public static func append(
        after previous: (sequence: Int64, hash: String)?, id: String, accountId: String, actor: String, action: String,
        objectType: String, objectId: String, beforeDigest: String?, afterDigest: String?, at now: Date
    ) -> AuditEvent {
        var event = AuditEvent(
            id: id, accountId: accountId, sequence: (previous?.sequence ?? 0) + 1, actor: actor, action: action,
            objectType: objectType, objectId: objectId, beforeDigest: beforeDigest, afterDigest: afterDigest,
            occurredAt: Date(epochMilliseconds: now.epochMilliseconds), previousHash: previous?.hash ?? genesis, hash: "")
        event.hash = hash(of: event)
        return event
    }

    /// The hash an entry must carry: SHA-256 of its canonical text.
    public static func hash(of event: AuditEvent) -> String {
        let (head, middle) = canonicalText(around: event)
        let canonical = head + field(String(event.sequence)) + middle + field(event.previousHash)
        return SHA256.hash(data: Data(canonical.utf8)).hexString
    }

    /// The canonical text of an entry without its two chain fields: what comes before the
    /// sequence and what comes between it and the previous hash, so that
    /// `head + field(sequence) + middle + field(previousHash)` is the whole text. Every field is
    /// length-prefixed (`field(_:)`) so that no two field lists hash alike. The store uses the
    /// parts to compute the hash in SQL where PostgreSQL appends at commit.
    public static func canonicalText(around event: AuditEvent) -> (head: String, middle: String) {
        let head = ["tollgate-audit-v1", event.id, event.accountId].map(field).joined(separator: "|") + "|"
        let middle = "|" + [
            event.actor, event.action, event.objectType, event.objectId, event.beforeDigest ?? "-", event.afterDigest ?? "-",
            String(event.occurredAt.epochMilliseconds),
        ].map(field).joined(separator: "|") + "|"
        return (head, middle)
    }

    /// A field of the canonical text: its length in UTF-8 bytes, a colon, the field.
    public static func field(_ text: String) -> String { "\(text.utf8.count):\(text)" }

    /// The result of checking a chain.
    public struct Verification: Codable, Sendable, Equatable {
        public var valid: Bool
        public var checked: Int
        /// The first entry that does not hold, if any.
        public var firstBrokenSequence: Int64?
        public var reason: String?
    }

    /// Checks `events` (ordered by sequence) and, if given, that the last one is the recorded head.
    public static func verify(_ events: [AuditEvent], head: (sequence: Int64, hash: String)? = nil) -> Verification {
        var previousHash = genesis
        var expectedSequence: Int64 = 1
        for (index, event) in events.enumerated() {
            func broken(_ reason: String) -> Verification {
                Verification(valid: false, checked: index, firstBrokenSequence: expectedSequence, reason: reason)
            }
            if event.sequence != expectedSequence {
                return broken("Entry \(expectedSequence) is missing or out of order (found \(event.sequence)).")
            }
            if event.previousHash != previousHash {
                return broken("Entry \(event.sequence) does not link to the entry before it.")
            }
            if hash(of: event) != event.hash {
                return broken("Entry \(event.sequence) was changed after it was written.")
            }
            previousHash = event.hash
            expectedSequence += 1
        }
        if let head, head.sequence != expectedSequence - 1 || (head.sequence > 0 && head.hash != previousHash) {
            return Verification(
                valid: false, checked: events.count, firstBrokenSequence: expectedSequence,
                reason: "The chain ends at entry \(expectedSequence - 1) but the account's head is entry \(head.sequence): entries were removed.")
        }
        return Verification(valid: true, checked: events.count, firstBrokenSequence: nil, reason: nil)
    }

    /// SHA-256 of `value`'s canonical JSON (sorted keys): the before/after digests.
    public static func digest(of value: some Encodable) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .millisecondsSince1970
        let data = (try? encoder.encode(value)) ?? Data()
        return SHA256.hash(data: data).hexString
    }
}
