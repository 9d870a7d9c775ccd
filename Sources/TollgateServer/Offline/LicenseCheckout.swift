import Foundation
import TollgateDomain
import TollgateFormats
import TollgateStore

/// Check-out: a signed license file (of a license, or bound to one machine) for offline use.
enum LicenseCheckout {
    /// The body of a check-out: encryption and lifetime.
    struct Options: Decodable, Sendable {
        /// Encrypt with a key derived from the license key (and the fingerprint for a machine file).
        var encrypt: Bool?
        /// Seconds the file is valid: 1 hour to 365 days; the policy's offline grace by default.
        var ttlSeconds: Int?
    }

    static let fields: Set<String> = ["encrypt", "ttlSeconds"]

    /// The answer: the armored file and what it says.
    struct Answer: Codable, Sendable {
        var file: String
        var encrypted: Bool
        var issuedAt: Date
        var expiresAt: Date
    }

    /// The lifetime of a file: as asked, or the policy's offline grace (at least an hour).
    static func ttl(_ requested: Int?, policy: Policy) throws(TollgateError) -> Int {
        try Rules.requireRange(requested, field: "ttlSeconds", min: 3600, max: 365 * 86_400)
        return requested ?? max(3600, policy.offlineGraceDays * 86_400)
    }

    /// Signs a file for `license` (and `machine`), after checking the license may run.
    static func issue(
        license: License, policy: Policy, machine: Machine?, options: Options, requestNonce: String? = nil,
        signingKey: SigningKey, now: Date
    ) throws -> Answer {
        try ActivationPlanner.requireUsable(license, policy: policy, now: now)
        if let machine, machine.state != .active {
            throw TollgateError.conflict(code: MachineCode.machineDeactivated, message: "The machine is deactivated; activate it again before checking it out.")
        }
        let info = LicenseFileContent.LicenseInfo(
            id: license.id, accountId: license.accountId, productId: license.productId, policyId: policy.id, customerId: license.customerId,
            status: license.status(at: now, policy: policy).name, tier: policy.name, entitlements: license.effectiveEntitlements(policy: policy),
            limits: license.effectiveLimits(policy: policy), expiresAt: license.expiresAt, offlineGraceDays: policy.offlineGraceDays)
        let content = LicenseFileContent(
            license: info, machine: machine.map { .init(id: $0.id, fingerprint: $0.fingerprint, name: $0.name, cluster: $0.cluster) },
            issuedAt: now, ttlSeconds: try ttl(options.ttlSeconds, policy: policy), requestNonce: requestNonce)
        let encrypt = options.encrypt ?? false
        let file = try LicenseFile.issue(content, signedWith: signingKey, encryptWith: encrypt ? license.key : nil)
        return Answer(file: file, encrypted: encrypt, issuedAt: content.issuedAt, expiresAt: content.expiresAt)
    }

    /// Checks out machine `id` (the credential must reach it and be current) and records it.
    static func checkOutMachine(
        _ id: String, credential: Credential, options: Options, signingKey: SigningKey, session: StoreSession, now: Date
    ) async throws -> Answer {
        let record = try await MachineActivator.loadMachine(id, credential: credential, session: session, now: now)
        let answer = try issue(license: record.license, policy: record.policy, machine: record.machine, options: options, signingKey: signingKey, now: now)
        try await ChangeLog.record(
            session, accountId: record.machine.accountId, actor: credential.actor, type: "machine.checked_out", objectType: "machine", objectId: id,
            before: nil as Machine?, after: nil as Machine?, state: MachineView(record.machine, policy: record.policy, now: now), at: now)
        return answer
    }

    /// Checks out license `id` (not bound to a machine) and records it.
    static func checkOutLicense(
        _ id: String, credential: Credential, options: Options, signingKey: SigningKey, session: StoreSession, now: Date
    ) async throws -> Answer {
        let (license, policy) = try await MachineActivator.loadLicense(id, credential: credential, session: session, now: now)
        let answer = try issue(license: license, policy: policy, machine: nil, options: options, signingKey: signingKey, now: now)
        try await ChangeLog.record(
            session, accountId: license.accountId, actor: credential.actor, type: "license.checked_out", objectType: "license", objectId: id,
            before: nil as License?, after: nil as License?, state: LicenseView(license, policy: policy, now: now), at: now)
        return answer
    }
}
