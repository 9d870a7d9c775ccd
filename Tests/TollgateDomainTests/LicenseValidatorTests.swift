import Foundation
import Testing
import TollgateDomain
import TollgateFormats

@Suite struct LicenseValidatorTests {
    let now = Fixtures.now

    func verdict(_ license: License, _ policy: Policy, scope: ValidationScope? = nil, fingerprints: Set<String> = [], at date: Date? = nil) -> LicenseValidator.Verdict {
        LicenseValidator.evaluate(license: license, policy: policy, scope: scope, fingerprints: fingerprints, now: date ?? now)
    }

    @Test func activeLicenseIsValidWithFullAccess() {
        let policy = Fixtures.policy()
        let result = verdict(Fixtures.license(policy: policy), policy)
        #expect(result.code == .valid && result.valid && result.reasons.isEmpty && result.access == .full)
    }

    @Test func expiredLicenseWithinGraceIsValidInGracePeriod() {
        let policy = Fixtures.policy(grace: 7)
        let result = verdict(Fixtures.license(policy: policy, expiresAt: now.adding(days: -2)), policy)
        #expect(result.code == .inGracePeriod && result.valid)
    }

    @Test func expiredLicensePastGraceIsExpired() {
        let policy = Fixtures.policy(grace: 7)
        let result = verdict(Fixtures.license(policy: policy, expiresAt: now.adding(days: -8)), policy)
        #expect(result.code == .expired && !result.valid && result.access == .none)
    }

    @Test func keepReadOnlyStrategyReportsReadOnlyAccessWhenExpired() {
        let policy = Fixtures.policy(grace: 0, strategy: .keepReadOnly)
        let result = verdict(Fixtures.license(policy: policy, expiresAt: now.adding(days: -1)), policy)
        #expect(result.code == .expired && result.access == .readOnly)
    }

    @Test func suspendedLicenseFailsValidationWithSuspendedCode() {
        let policy = Fixtures.policy()
        #expect(verdict(Fixtures.license(policy: policy, state: .suspended), policy).code == .suspended)
    }

    @Test func revokedLicenseFailsValidationWithRevokedCode() {
        let policy = Fixtures.policy()
        #expect(verdict(Fixtures.license(policy: policy, state: .revoked), policy).code == .revoked)
    }

    @Test func otherProductInScopeFailsWithProductScopeMismatch() {
        let policy = Fixtures.policy()
        let result = verdict(Fixtures.license(policy: policy), policy, scope: ValidationScope(productId: Identifier.make(.product)))
        #expect(result.code == .productScopeMismatch)
    }

    @Test func missingEntitlementsAreNamed() {
        let policy = Fixtures.policy(entitlements: ["core"])
        let result = verdict(Fixtures.license(policy: policy), policy, scope: ValidationScope(entitlements: ["core", "sso", "audit"]))
        #expect(result.code == .entitlementsMissing)
        #expect(result.reasons.first?.message.contains("sso, audit") == true)
    }

    @Test func wildcardEntitlementGrantsEverything() {
        let policy = Fixtures.policy(entitlements: ["*"])
        #expect(verdict(Fixtures.license(policy: policy), policy, scope: ValidationScope(entitlements: ["anything"])).code == .valid)
    }

    @Test func licenseOwnEntitlementsAddToThePolicys() {
        let policy = Fixtures.policy(entitlements: ["core"])
        var license = Fixtures.license(policy: policy)
        license.extraEntitlements = ["sso"]
        #expect(verdict(license, policy, scope: ValidationScope(entitlements: ["core", "sso"])).code == .valid)
    }

    @Test func unknownFingerprintFailsWithNoMachine() {
        let policy = Fixtures.policy()
        #expect(verdict(Fixtures.license(policy: policy), policy, scope: ValidationScope(fingerprint: "abc")).code == .noMachine)
        #expect(verdict(Fixtures.license(policy: policy), policy, scope: ValidationScope(fingerprint: "abc"), fingerprints: ["abc"]).code == .valid)
    }

    @Test func everyFailingCheckIsReportedAndTheWorstIsTheCode() {
        let policy = Fixtures.policy(entitlements: ["core"])
        let license = Fixtures.license(policy: policy, state: .suspended, expiresAt: now.adding(days: -30))
        let result = verdict(license, policy, scope: ValidationScope(productId: "prd_other", fingerprint: "f", entitlements: ["sso"]))
        #expect(result.code == .suspended)
        #expect(Set(result.reasons.map(\.code)) == [.suspended, .productScopeMismatch, .entitlementsMissing, .noMachine])
    }

    @Test func licenseOverridesReplacePolicyLimits() {
        let policy = Fixtures.policy()
        var license = Fixtures.license(policy: policy)
        license.limitOverrides = ["maxWorkflows": .unlimited, "maxMachines": .limited(10), "requestsPerSecond": .limited(5)]
        let limits = license.effectiveLimits(policy: policy)
        // The policy has no requestsPerSecond: an override of a code it lacks (left from another policy) is ignored.
        #expect(limits["maxWorkflows"] == .unlimited && limits.maxMachines == 10 && limits["requestsPerSecond"] == nil)
    }
}
