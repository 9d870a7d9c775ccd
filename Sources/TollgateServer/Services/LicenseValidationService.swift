import Foundation
import Metrics
import TollgateCore
import TollgateStore

/// Answers `POST /v1/licenses/validate`: decodes and verifies the key, loads the license,
/// applies ``LicenseValidator``, and signs the answer with the license's account key.
struct LicenseValidationService: Sendable {
    let store: Store
    let keys: KeyService
    let clock: any TollgateClock
    let recorder: ValidationRecorder
    let defaultAccountId: String

    /// The request body.
    struct Request: Decodable, Sendable {
        var key: String
        var scope: ValidationScope?
        var nonce: String?
    }

    /// The license as a validation reports it.
    struct Summary: Encodable, Sendable {
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

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(id, forKey: .id)
            try container.encode(status, forKey: .status)
            try container.encode(tier, forKey: .tier)
            try container.encode(policyId, forKey: .policyId)
            try container.encode(productId, forKey: .productId)
            try container.encode(customerId, forKey: .customerId)
            try container.encode(expiresAt, forKey: .expiresAt)
            try container.encode(entitlements, forKey: .entitlements)
            try container.encode(limits, forKey: .limits)
            try container.encode(cloudDeployment, forKey: .cloudDeployment)
            try container.encode(offlineGraceDays, forKey: .offlineGraceDays)
            try container.encode(access, forKey: .access)
            try container.encode(revocationVersion, forKey: .revocationVersion)
        }

        enum CodingKeys: String, CodingKey {
            case id, status, tier, policyId, productId, customerId, expiresAt, entitlements, limits, cloudDeployment
            case offlineGraceDays, access, revocationVersion
        }
    }

    /// The response body; signed as bytes.
    struct Answer: Encodable, Sendable {
        var valid: Bool
        var code: ValidationCode
        var reasons: [ValidationReason]
        var license: Summary?
        var serverTime: Date
        var nonce: String?

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(valid, forKey: .valid)
            try container.encode(code, forKey: .code)
            try container.encode(reasons, forKey: .reasons)
            try container.encode(license, forKey: .license)
            try container.encode(serverTime, forKey: .serverTime)
            try container.encode(nonce, forKey: .nonce)
        }

        enum CodingKeys: String, CodingKey { case valid, code, reasons, license, serverTime, nonce }
    }

    /// Validates and returns the body and its `Tollgate-Signature` header value.
    func validate(_ request: Request, remoteAddress: String?) async throws -> (body: Data, signature: String) {
        let now = clock.now()
        if let nonce = request.nonce, nonce.utf8.count > 256 {
            throw TollgateError.invalid(field: "nonce", message: "'nonce' is at most 256 characters.")
        }
        var answer = Answer(valid: false, code: .notFound, reasons: [], license: nil, serverTime: now, nonce: request.nonce)
        var accountId: String?
        var licenseId: String?

        switch LicenseKey.verify(request.key, keys: keys.verificationKey(id:)) {
        case .failure(.mistyped(let message)):
            answer.code = .mistyped
            answer.reasons = [ValidationReason(.mistyped, message)]
        case .failure(.badSignature(let message)):
            answer.code = .badSignature
            answer.reasons = [ValidationReason(.badSignature, message)]
        case .success(let key):
            let signer = keys.verificationKey(id: key.keyId)?.accountId
            accountId = signer
            let found = try await store.read { session -> (License, Policy)? in
                guard let signer, let license = try session.licenses.find(id: key.licenseId, accountId: signer),
                    let policy = try session.policies.find(id: license.policyId, accountId: signer)
                else { return nil }
                return (license, policy)
            }
            guard let (license, policy) = found else {
                answer.reasons = [ValidationReason(.notFound, "No license with this key exists.")]
                break
            }
            licenseId = license.id
            // Machines arrive with the machines capability; until then no license has any.
            let verdict = LicenseValidator.evaluate(license: license, policy: policy, scope: request.scope, fingerprints: [], now: now)
            answer.valid = verdict.valid
            answer.code = verdict.code
            answer.reasons = verdict.reasons
            answer.license = Summary(
                id: license.id, status: verdict.status.name, tier: policy.name, policyId: policy.id, productId: license.productId,
                customerId: license.customerId, expiresAt: license.expiresAt, entitlements: license.effectiveEntitlements(policy: policy),
                limits: license.effectiveLimits(policy: policy), cloudDeployment: policy.cloudDeployment,
                offlineGraceDays: policy.offlineGraceDays, access: verdict.access, revocationVersion: license.revocationVersion)
        }
        if answer.code == .notFound { answer.reasons = answer.reasons.isEmpty ? [ValidationReason(.notFound, "No license with this key exists.")] : answer.reasons }

        let body = try APICoding.encode(answer)
        let signingKey = try keys.current(accountId: accountId ?? defaultAccountId)
        let signature = try ResponseSignature.sign(body, with: signingKey)
        recorder.record(
            .init(
                id: Identifier.make(.validation, at: now), accountId: accountId, licenseId: licenseId, code: answer.code,
                valid: answer.valid, remoteAddress: remoteAddress, occurredAt: now))
        Counter(label: "tollgate_validations_total", dimensions: [("code", answer.code.rawValue)]).increment()
        return (body, signature)
    }
}
