import Foundation
import Hummingbird
import TollgateDomain
import TollgateFormats
import TollgateStore

/// Air-gapped activation and deactivation. The blocks carry their own proof (an HMAC keyed
/// with the license key), so whoever carries them to a connected machine (an admin, the
/// customer) needs no other credential.
struct OfflineController: Sendable {
    let store: Store
    let keys: KeyService
    let clock: any TollgateClock
    let limits: BodyLimits

    func addRoutes(to router: Router<AppRequestContext>) {
        router.post("v1/machines/offline-activations") { request, _ in try await activate(request) }
        router.post("v1/machines/offline-deactivations") { request, _ in try await deactivate(request) }
    }

    struct ActivationBody: Decodable {
        /// The armored activation request.
        var request: String
        var encrypt: Bool?
        var ttlSeconds: Int?
    }

    /// What an offline activation answers: the machine and its signed machine file.
    struct ActivationAnswer: Encodable, Sendable {
        var machine: MachineView
        var file: String
        var encrypted: Bool
        var expiresAt: Date
    }

    /// Activates the requested machine and answers its machine file (201). A request that was
    /// already used for a machine that is still active is answered again with a fresh file (200).
    func activate(_ request: Request) async throws -> Response {
        let body = try await JSONBody.read(request, limit: limits.maxBodyBytes, allowedFields: ["request", "encrypt", "ttlSeconds"])
            .decode(ActivationBody.self)
        guard let block = OfflineBlock<OfflineActivationRequest>.parse(body.request, label: OfflineActivationRequest.label) else {
            throw TollgateError.invalid(code: OfflineCode.requestMalformed, field: "request", message: "This is not a readable Tollgate activation request.")
        }
        let offline = block.body
        try offline.draft.validate()
        let now = clock.now()
        if offline.requestedAt.timeIntervalSince(now) > LicenseFile.futureTolerance {
            throw TollgateError.invalid(code: OfflineCode.requestInFuture, field: "request", message: "The request is dated in the future: the machine's clock is wrong.")
        }
        if now.timeIntervalSince(offline.requestedAt) > OfflineActivationRequest.maximumAge {
            throw TollgateError.invalid(code: OfflineCode.requestExpired, field: "request", message: "The request is older than 30 days; make a new one.")
        }
        let keys = self.keys
        let options = LicenseCheckout.Options(encrypt: body.encrypt, ttlSeconds: body.ttlSeconds)
        let (answer, created) = try await store.write { session -> (ActivationAnswer, Bool) in
            let license = try proven(block, licenseId: offline.licenseId, domain: OfflineActivationRequest.domain, session: session)
            let signingKey = try keys.loaded(accountId: license.accountId)
            let actor = "license:\(license.id)"
            let record: MachineRecord
            let created: Bool
            if let used = try session.machines.find(licenseId: license.id, offlineRequestNonce: offline.nonce) {
                guard used.state == .active else {
                    throw TollgateError.conflict(code: OfflineCode.requestUsed, message: "This request activated a machine that has since been deactivated; make a new one.")
                }
                let (license, policy) = try MachineActivator.loadLicense(license.id, accountId: license.accountId, session: session)
                (record, created) = (MachineRecord(machine: used, license: license, policy: policy), false)
            } else {
                record = try MachineActivator.activate(
                    offline.draft, licenseId: license.id, accountId: license.accountId, actor: actor, offline: offline, session: session, now: now)
                created = true
            }
            let file = try LicenseCheckout.issue(
                license: record.license, policy: record.policy, machine: record.machine, options: options, requestNonce: offline.nonce,
                signingKey: signingKey, now: now)
            let view = MachineView(record.machine, policy: record.policy, now: now)
            try ChangeLog.record(
                session, accountId: license.accountId, actor: actor, type: "machine.checked_out", objectType: "machine", objectId: record.machine.id,
                before: nil as Machine?, after: nil as Machine?, state: view, at: now)
            return (ActivationAnswer(machine: view, file: file.file, encrypted: file.encrypted, expiresAt: file.expiresAt), created)
        }
        return try Response.json(status: created ? .created : .ok, answer)
    }

    /// Frees the seat named by a deactivation receipt. Submitting it again answers the same machine.
    func deactivate(_ request: Request) async throws -> Response {
        struct Body: Decodable { var receipt: String }
        let body = try await JSONBody.read(request, limit: limits.maxBodyBytes, allowedFields: ["receipt"]).decode(Body.self)
        guard let block = OfflineBlock<OfflineDeactivationReceipt>.parse(body.receipt, label: OfflineDeactivationReceipt.label) else {
            throw TollgateError.invalid(code: OfflineCode.receiptMalformed, field: "receipt", message: "This is not a readable Tollgate deactivation receipt.")
        }
        let receipt = block.body
        let now = clock.now()
        let view = try await store.write { session -> MachineView in
            let license = try proven(block, licenseId: receipt.licenseId, domain: OfflineDeactivationReceipt.domain, session: session)
            guard let machine = try session.machines.find(id: receipt.machineId, accountId: license.accountId),
                machine.licenseId == license.id, machine.fingerprint == receipt.fingerprint
            else { throw TollgateError.notFound(resource: "machine", id: receipt.machineId) }
            let policy = try session.policies.find(id: license.policyId, accountId: license.accountId)
            guard machine.state == .active, let policy else { return MachineView(machine, policy: policy, now: now) }
            let (next, _) = try MachineStateMachine.transition(.deactivate(.offlineReceipt), of: machine, policy: policy, now: now)
            try session.machines.update(next)
            let view = MachineView(next, policy: policy, now: now)
            try ChangeLog.record(
                session, accountId: license.accountId, actor: "license:\(license.id)", type: "machine.deactivated", objectType: "machine",
                objectId: machine.id, before: machine, after: next, state: view, at: now)
            return view
        }
        return try Response.json(view)
    }

    /// The license a block names, once its proof verifies with that license's key. A wrong
    /// proof and an unknown license answer the same, so the route reveals no license ids.
    func proven<Body>(_ block: OfflineBlock<Body>, licenseId: String, domain: String, session: StoreSession) throws -> License {
        guard let license = try session.licenses.find(id: licenseId), block.isProven(by: license.key, domain: domain) else {
            throw TollgateError.unauthorized(code: OfflineCode.proofInvalid, message: "The block's proof does not match any license key: it was changed or made with another key.")
        }
        return license
    }
}
