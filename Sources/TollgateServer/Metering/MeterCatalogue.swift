import Foundation
import TollgateDomain
import TollgateFormats
import TollgateStore

/// Creates meters: checks the draft's rules, keeps codes unique in the account, records the change.
enum MeterCatalogue {
    /// Creates a meter from `draft`; 409 `METER_CODE_TAKEN` when the account has a meter of its code.
    static func create(_ draft: MeterDraft, accountId: String, actor: String, session: StoreSession, now: Date) async throws -> Meter {
        let meter = try draft.validated(id: Identifier.make(.meter, at: now), accountId: accountId, now: now)
        do {
            try await session.meters.insert(meter)
        } catch StoreError.duplicate {
            throw TollgateError.conflict(
                code: MeteringCode.meterCodeTaken, message: "The account has a meter '\(draft.code)' already.", field: "code")
        }
        try await ChangeLog.record(
            session, accountId: accountId, actor: actor, type: "meter.created", objectType: "meter", objectId: meter.id,
            before: nil as Meter?, after: meter, at: now)
        return meter
    }
}
