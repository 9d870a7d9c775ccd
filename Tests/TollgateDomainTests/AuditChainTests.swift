import Foundation
import Testing
import TollgateDomain
import TollgateFormats

@Suite struct AuditChainTests {
    func chain(_ count: Int) -> [AuditEvent] {
        var events: [AuditEvent] = []
        for index in 0..<count {
            events.append(
                AuditChain.append(
                    after: events.last.map { ($0.sequence, $0.hash) }, id: "aud_\(index)", accountId: "acc", actor: "tok",
                    action: "license.created", objectType: "license", objectId: "lic_\(index)", beforeDigest: nil,
                    afterDigest: AuditChain.digest(of: ["n": index]), at: Fixtures.now.addingTimeInterval(Double(index))))
        }
        return events
    }

    @Test func intactChainVerifies() {
        let events = chain(5)
        #expect(AuditChain.verify(events, head: (5, events[4].hash)).valid)
    }

    @Test func editedEntryIsReportedAtItsSequence() {
        var events = chain(5)
        events[2].action = "license.deleted"
        let result = AuditChain.verify(events)
        #expect(!result.valid && result.firstBrokenSequence == 3)
    }

    @Test func removedEntryIsReported() {
        var events = chain(5)
        events.remove(at: 1)
        #expect(AuditChain.verify(events).firstBrokenSequence == 2)
    }

    @Test func reorderedEntriesAreReported() {
        var events = chain(5)
        events.swapAt(1, 2)
        #expect(AuditChain.verify(events).firstBrokenSequence == 2)
    }

    @Test func truncatedTailIsReportedAgainstTheHead() {
        let events = chain(5)
        let result = AuditChain.verify(Array(events.prefix(3)), head: (5, events[4].hash))
        #expect(!result.valid && result.firstBrokenSequence == 4)
    }

    @Test func rehashedEditIsCaughtByTheNextLink() {
        var events = chain(4)
        events[1].actor = "intruder"
        events[1].hash = AuditChain.hash(of: events[1])
        #expect(AuditChain.verify(events).firstBrokenSequence == 3)
    }
}
