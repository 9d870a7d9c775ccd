import Foundation
import TollgateDomain
import TollgateFormats
import TollgateStore

/// Air-gapped activation and deactivation. The blocks carry their own proof (an HMAC keyed
/// with the license key), so whoever carries them to a connected machine (an admin, the
/// customer) needs no other credential.
enum OfflineActivator {
    /// What an offline activation answers: the machine and its signed machine file.
    struct ActivationAnswer: Encodable, Sendable {
        var machine: MachineView
        var file: String
        var encrypted: Bool
        var expiresAt: Date
    }

    /// Refuses a request dated in the future (the machine's clock is wrong) or older than
    /// ``OfflineActivationRequest/maximumAge``, and a machine description the API would refuse.
    static func check(_ offline: OfflineActivationRequest, now: Date) throws {
        try offline.draft.validate()
        if offline.requestedAt.timeIntervalSince(now) > LicenseFile.futureTolerance {
            throw TollgateError.invalid(code: OfflineCode.requestInFuture, field: "request", message: "The request is dated in the future: the machine's clock is wrong.")
        }
        if now.timeIntervalSince(offline.requestedAt) > OfflineActivationRequest.maximumAge {
            throw TollgateError.invalid(code: OfflineCode.requestExpired, field: "request", message: "The request is older than 30 days; make a new one.")
        }
    }

    /// Activates the requested machine and signs its machine file; `created` is `false` when the
    /// request was already used for a machine that is still active (answered again with a fresh
    /// file). Records the check-out.
    static func activate(
        _ block: OfflineBlock<OfflineActivationRequest>, options: LicenseCheckout.Options, keys: KeyService, session: StoreSession, now: Date
    ) async throws -> (answer: ActivationAnswer, created: Bool) {
        let offline = block.body
        let license = try await proven(block, licenseId: offline.licenseId, domain: OfflineActivationRequest.domain, session: session)
        let signingKey = try keys.loaded(accountId: license.accountId)
        let actor = "license:\(license.id)"
        let record: MachineRecord
        let created: Bool
        if let used = try await session.machines.find(licenseId: license.id, offlineRequestNonce: offline.nonce) {
            guard used.state == .active else {
                throw TollgateError.conflict(code: OfflineCode.requestUsed, message: "This request activated a machine that has since been deactivated; make a new one.")
            }
            let (license, policy) = try await MachineActivator.loadLicense(license.id, accountId: license.accountId, session: session)
            (record, created) = (MachineRecord(machine: used, license: license, policy: policy), false)
        } else {
            record = try await MachineActivator.activate(
                offline.draft, licenseId: license.id, accountId: license.accountId, actor: actor, offline: offline, session: session, now: now)
            created = true
        }
        let file = try LicenseCheckout.issue(
            license: record.license, policy: record.policy, machine: record.machine, options: options, requestNonce: offline.nonce,
            signingKey: signingKey, now: now)
        let view = MachineView(record.machine, policy: record.policy, now: now)
        try await ChangeLog.record(
            session, accountId: license.accountId, actor: actor, type: "machine.checked_out", objectType: "machine", objectId: record.machine.id,
            before: nil as Machine?, after: nil as Machine?, state: view, at: now)
        return (ActivationAnswer(machine: view, file: file.file, encrypted: file.encrypted, expiresAt: file.expiresAt), created)
    }

    /// Frees the seat named by a deactivation receipt; a receipt submitted again answers the same
    /// machine.
    static func deactivate(_ block: OfflineBlock<OfflineDeactivationReceipt>, session: StoreSession, now: Date) async throws -> MachineView {
        let receipt = block.body
        let license = try await proven(block, licenseId: receipt.licenseId, domain: OfflineDeactivationReceipt.domain, session: session)
        guard let context = try await session.machineContext(id: receipt.machineId, accountId: license.accountId),
            context.machine.licenseId == license.id, context.machine.fingerprint == receipt.fingerprint
        else { throw TollgateError.notFound(resource: "machine", id: receipt.machineId) }
        let (machine, policy) = (context.machine, context.policy)
        guard machine.state == .active, let policy else { return MachineView(machine, policy: policy, now: now) }
        let (next, _) = try MachineStateMachine.transition(.deactivate(.offlineReceipt), of: machine, policy: policy, now: now)
        try await session.machines.update(next)
        let view = MachineView(next, policy: policy, now: now)
        try await ChangeLog.record(
            session, accountId: license.accountId, actor: "license:\(license.id)", type: "machine.deactivated", objectType: "machine",
            objectId: machine.id, before: machine, after: next, state: view, at: now)
        return view
    }

    /// The license a block names, once its proof verifies with that license's key. A wrong
    /// proof and an unknown license answer the same, so the route reveals no license ids.
    static func proven<Body>(_ block: OfflineBlock<Body>, licenseId: String, domain: String, session: StoreSession) async throws -> License {
        guard let license = try await session.licenses.find(id: licenseId), block.isProven(by: license.key, domain: domain) else {
            throw TollgateError.unauthorized(code: OfflineCode.proofInvalid, message: "The block's proof does not match any license key: it was changed or made with another key.")
        }
        return license
    }
}
