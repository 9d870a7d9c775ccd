import Foundation
import Metrics
import TollgateDomain
import TollgateFormats
import TollgateStore

/// Answers `POST /v1/licenses/validate`: decodes and verifies the key, loads the license,
/// applies ``LicenseValidator``, and signs the answer with the license's account key.
struct LicenseValidationService: Sendable {
    let store: Store
    let keys: KeyService
    let licenseKeys: LicenseKeyVerifier
    let clock: any TollgateClock
    let recorder: ValidationRecorder
    /// The default account, whose key signs answers about keys of no known account.
    let startup: Startup
    /// Each license key's limit (its policy's `apiRequestsPerMinute`) and failures per address.
    let limits: RateLimits
    let cache = SnapshotCache<Snapshot>()

    /// A license with what validation needs of it.
    struct Snapshot: Sendable {
        var license: License
        var policy: Policy
        var fingerprints: Set<String>
    }

    /// One counter per code, made once: `tollgate_validations_total{code=…}`.
    static let counters: [ValidationCode: Counter] = Dictionary(
        uniqueKeysWithValues: ValidationCode.allCases.map { ($0, Counter(label: "tollgate_validations_total", dimensions: [("code", $0.rawValue)])) })

    /// The request body.
    struct Request: Decodable, Sendable {
        var key: String
        var scope: ValidationScope?
        var nonce: String?
    }

    /// The license as a validation reports it.
    struct Summary: Sendable {
        var id: String
        var status: String
        var tier: String
        var policyId: String
        var productId: String
        var customerId: String
        var expiresAt: Date?
        var entitlements: [String]
        var limits: EffectiveLimits
        var cloudDeployment: Bool
        var offlineGraceDays: Int
        var access: AccessLevel
        var revocationVersion: Int
        /// With `scope.usage`: each limit with a period and a meter → the current period's usage.
        var usage: [(code: String, used: UsageQuantity)]? = nil

        func write(_ json: inout JSONWriter) {
            json.object { json in
                json.key("access"); json.string(access.rawValue)
                json.key("cloudDeployment"); json.bool(cloudDeployment)
                json.key("customerId"); json.string(customerId)
                json.key("entitlements"); json.array(entitlements) { json, code in json.string(code) }
                json.key("expiresAt"); json.date(expiresAt)
                json.key("id"); json.string(id)
                json.effectiveLimits(limits)
                json.key("offlineGraceDays"); json.int(offlineGraceDays)
                json.key("policyId"); json.string(policyId)
                json.key("productId"); json.string(productId)
                json.key("revocationVersion"); json.int(revocationVersion)
                json.key("status"); json.string(status)
                json.key("tier"); json.string(tier)
                if let usage {
                    json.key("usage")
                    json.object { json in
                        for (code, used) in usage {
                            json.key(code); json.number(text: used.description)
                        }
                    }
                }
            }
        }
    }

    /// The response body, written by ``JSONWriter`` (keys sorted, nulls explicit) and signed as bytes.
    struct Answer: Sendable {
        var valid: Bool
        var code: ValidationCode
        var reasons: [ValidationReason]
        var license: Summary?
        var serverTime: Date
        var nonce: String?

        var json: [UInt8] {
            var json = JSONWriter()
            json.object { json in
                json.key("code"); json.string(code.rawValue)
                json.key("license")
                if let license { license.write(&json) } else { json.null() }
                json.key("nonce"); json.string(nonce)
                json.key("reasons")
                json.array(reasons) { json, reason in
                    json.object { json in
                        json.key("code"); json.string(reason.code.rawValue)
                        json.key("message"); json.string(reason.message)
                    }
                }
                json.key("serverTime"); json.date(serverTime)
                json.key("valid"); json.bool(valid)
            }
            return json.bytes
        }
    }

    /// Validates and returns the body, its `Tollgate-Signature` header value and the key's rate
    /// limit, if its policy has one.
    func validate(_ request: Request, remoteAddress: String?) async throws -> (body: Data, signature: String, limit: RateLimit.Decision?) {
        try limits.checkFailures(address: remoteAddress)
        let now = clock.now()
        if let nonce = request.nonce, nonce.utf8.count > 256 {
            throw TollgateError.invalid(field: "nonce", message: "'nonce' is at most 256 characters.")
        }
        var answer = Answer(valid: false, code: .notFound, reasons: [], license: nil, serverTime: now, nonce: request.nonce)
        var accountId: String?
        var licenseId: String?
        var decision: RateLimit.Decision?

        switch await licenseKeys.verify(request.key) {
        case .failure(.mistyped(let message)):
            answer.code = .mistyped
            answer.reasons = [ValidationReason(.mistyped, message)]
        case .failure(.badSignature(let message)):
            answer.code = .badSignature
            answer.reasons = [ValidationReason(.badSignature, message)]
        case .success(let (key, signer)):
            accountId = signer
            let found = try await load(licenseId: key.licenseId, accountId: signer)
            guard let (license, policy, fingerprints) = found else {
                answer.reasons = [ValidationReason(.notFound, "No license with this key exists.")]
                break
            }
            licenseId = license.id
            if limits.enabled, let perMinute = policy.apiRequestsPerMinute {
                decision = try limits.take(limits.licenses, license.id, perMinute: perMinute, what: "license key")
            }
            let verdict = LicenseValidator.evaluate(license: license, policy: policy, scope: request.scope, fingerprints: fingerprints, now: now)
            answer.valid = verdict.valid
            answer.code = verdict.code
            answer.reasons = verdict.reasons
            answer.license = Summary(
                id: license.id, status: verdict.status.name, tier: policy.name, policyId: policy.id, productId: license.productId,
                customerId: license.customerId, expiresAt: license.expiresAt, entitlements: verdict.entitlements,
                limits: license.effectiveLimits(policy: policy), cloudDeployment: policy.cloudDeployment,
                offlineGraceDays: policy.offlineGraceDays, access: verdict.access, revocationVersion: license.revocationVersion)
            if request.scope?.usage == true {
                let store = self.store
                let used = try await store.read { try await UsageQuotas.used(of: license, policy: policy, at: now, session: $0) }
                answer.license?.usage = used.map { ($0.code, UsageQuantity(micros: $0.used)) }
            }
        }

        let body = Data(answer.json)
        let signingAccount: String
        if let accountId { signingAccount = accountId } else { signingAccount = try await startup.value().defaultAccount.id }
        let signingKey = try await keys.current(accountId: signingAccount)
        let signature = try ResponseSignature.sign(body, with: signingKey)
        recorder.record(
            .init(
                accountId: accountId, licenseId: licenseId, code: answer.code, valid: answer.valid, remoteAddress: remoteAddress, occurredAt: now,
                features: answer.valid ? request.scope?.entitlements ?? [] : []))
        Self.counters[answer.code]?.increment()
        if [.mistyped, .badSignature, .notFound].contains(answer.code) { limits.noteFailure(address: remoteAddress) }
        return (body, signature, decision)
    }

    /// The license, its policy and its active machines' fingerprints, from the cache when
    /// nothing has been written since.
    func load(licenseId: String, accountId: String?) async throws -> (License, Policy, Set<String>)? {
        guard let accountId else { return nil }
        let store = self.store
        let snapshot = try await cache.value(licenseId, generation: store.generation.current(accountId: accountId)) {
            try await store.read { session -> Snapshot? in
                guard let license = try await session.licenses.find(id: licenseId, accountId: accountId),
                    let policy = try await session.policies.find(id: license.policyId, accountId: accountId)
                else { return nil }
                return Snapshot(license: license, policy: policy, fingerprints: try await session.machines.fingerprints(licenseId: licenseId))
            }
        }
        guard let snapshot, snapshot.license.accountId == accountId else { return nil }
        return (snapshot.license, snapshot.policy, snapshot.fingerprints)
    }
}
