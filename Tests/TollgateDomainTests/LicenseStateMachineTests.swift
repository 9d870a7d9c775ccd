import Foundation
import Testing
import TollgateDomain
import TollgateFormats

@Suite struct LicenseStateMachineTests {
    let policy = Fixtures.policy()
    let now = Fixtures.now

    func status(_ license: License, at date: Date? = nil) -> LicenseStatus { license.status(at: date ?? now, policy: policy) }

    @Test func activeLicenseSuspendsAndBumpsRevocationVersion() throws {
        let suspended = try LicenseStateMachine.apply(.suspend, to: Fixtures.license(policy: policy), policy: policy, now: now)
        #expect(status(suspended) == .suspended)
        #expect(suspended.revocationVersion == 1)
    }

    @Test func suspendingASuspendedLicenseFailsWithAlreadySuspended() {
        let license = Fixtures.license(policy: policy, state: .suspended)
        #expect(throws: LicenseTransitionError.alreadySuspended) { try LicenseStateMachine.apply(.suspend, to: license, policy: policy, now: now) }
    }

    @Test func expiredLicenseCanBeSuspended() throws {
        let license = Fixtures.license(policy: policy, expiresAt: now.adding(days: -30))
        #expect(status(license) == .expired(inGrace: false))
        #expect(status(try LicenseStateMachine.apply(.suspend, to: license, policy: policy, now: now)) == .suspended)
    }

    @Test func suspendedLicenseReinstatesToActive() throws {
        let license = Fixtures.license(policy: policy, state: .suspended)
        let reinstated = try LicenseStateMachine.apply(.reinstate, to: license, policy: policy, now: now)
        #expect(status(reinstated) == .active)
        #expect(reinstated.revocationVersion == license.revocationVersion)
    }

    @Test func reinstatingASuspendedLicensePastItsExpiryLeavesItExpired() throws {
        let license = Fixtures.license(policy: policy, state: .suspended, expiresAt: now.adding(days: -60))
        #expect(status(try LicenseStateMachine.apply(.reinstate, to: license, policy: policy, now: now)) == .expired(inGrace: false))
    }

    @Test(arguments: [LicenseState.active])
    func reinstatingANonSuspendedLicenseFailsWithNotSuspended(state: LicenseState) {
        #expect(throws: LicenseTransitionError.notSuspended) {
            try LicenseStateMachine.apply(.reinstate, to: Fixtures.license(policy: policy, state: state), policy: policy, now: now)
        }
        let expired = Fixtures.license(policy: policy, expiresAt: now.adding(days: -1))
        #expect(throws: LicenseTransitionError.notSuspended) { try LicenseStateMachine.apply(.reinstate, to: expired, policy: policy, now: now) }
    }

    @Test func renewExtendsFromTheCurrentExpiryWhileActive() throws {
        let license = Fixtures.license(policy: policy, expiresAt: now.adding(days: 10))
        let renewed = try LicenseStateMachine.apply(.renew, to: license, policy: policy, now: now)
        #expect(renewed.expiresAt == now.adding(days: 40))
    }

    @Test func renewOfALapsedLicenseStartsAWholePeriodFromNow() throws {
        let license = Fixtures.license(policy: policy, expiresAt: now.adding(days: -100))
        let renewed = try LicenseStateMachine.apply(.renew, to: license, policy: policy, now: now)
        #expect(renewed.expiresAt == now.adding(days: 30))
        #expect(status(renewed) == .active)
    }

    @Test func renewWhileSuspendedExtendsButStaysSuspended() throws {
        let license = Fixtures.license(policy: policy, state: .suspended)
        let renewed = try LicenseStateMachine.apply(.renew, to: license, policy: policy, now: now)
        #expect(status(renewed) == .suspended)
        #expect(renewed.expiresAt == now.adding(days: 60))
    }

    @Test func renewingAPerpetualLicenseFailsWithPerpetual() {
        let perpetual = Fixtures.policy(durationDays: nil)
        let license = Fixtures.license(policy: perpetual, expiresAt: nil)
        #expect(throws: LicenseTransitionError.perpetual) { try LicenseStateMachine.apply(.renew, to: license, policy: perpetual, now: now) }
    }

    @Test func changePolicyMovesToAnotherPolicyOfTheSameProduct() throws {
        var upgrade = Fixtures.policy(durationDays: 365)
        upgrade.productId = policy.productId
        let changed = try LicenseStateMachine.apply(.changePolicy(upgrade), to: Fixtures.license(policy: policy), policy: policy, now: now)
        #expect(changed.policyId == upgrade.id)
        #expect(changed.expiresAt == now.adding(days: 30))
        #expect(changed.revocationVersion == 1)
    }

    @Test func changeToAPerpetualPolicyClearsTheExpiryAndBackSetsOne() throws {
        var perpetual = Fixtures.policy(durationDays: nil)
        perpetual.productId = policy.productId
        let toPerpetual = try LicenseStateMachine.apply(.changePolicy(perpetual), to: Fixtures.license(policy: policy), policy: policy, now: now)
        #expect(toPerpetual.expiresAt == nil)
        let back = try LicenseStateMachine.apply(.changePolicy(policy), to: toPerpetual, policy: perpetual, now: now)
        #expect(back.expiresAt == now.adding(days: 30))
    }

    @Test func changeToTheSamePolicyFailsWithPolicyUnchanged() {
        #expect(throws: LicenseTransitionError.samePolicy) {
            try LicenseStateMachine.apply(.changePolicy(policy), to: Fixtures.license(policy: policy), policy: policy, now: now)
        }
    }

    @Test func changeToAnotherProductsPolicyFailsWithProductMismatch() {
        let other = Fixtures.policy()
        #expect(throws: LicenseTransitionError.policyProductMismatch) {
            try LicenseStateMachine.apply(.changePolicy(other), to: Fixtures.license(policy: policy), policy: policy, now: now)
        }
        #expect(LicenseTransitionError.policyProductMismatch.asError.code == "POLICY_PRODUCT_MISMATCH")
    }

    @Test(arguments: [LicenseState.active, .suspended])
    func anyLiveLicenseCanBeRevoked(state: LicenseState) throws {
        let revoked = try LicenseStateMachine.apply(.revoke, to: Fixtures.license(policy: policy, state: state), policy: policy, now: now)
        #expect(status(revoked) == .revoked)
        #expect(revoked.revocationVersion == 1)
    }

    @Test func revocationIsTerminalForEveryAction() {
        let revoked = Fixtures.license(policy: policy, state: .revoked)
        var other = Fixtures.policy()
        other.productId = policy.productId
        for action in [LicenseAction.suspend, .reinstate, .renew, .revoke, .changePolicy(other)] {
            #expect(throws: LicenseTransitionError.revoked) { try LicenseStateMachine.apply(action, to: revoked, policy: policy, now: now) }
        }
    }

    @Test func expiryPassesThroughGraceToExpired() {
        let license = Fixtures.license(policy: policy, expiresAt: now)
        #expect(status(license, at: now.addingTimeInterval(-1)) == .active)
        #expect(status(license, at: now.adding(days: 3)) == .expired(inGrace: true))
        #expect(status(license, at: now.adding(days: 7)) == .expired(inGrace: false))
    }

    @Test func revokeStrategyTurnsALicensePastGraceIntoRevoked() {
        let policy = Fixtures.policy(strategy: .revoke)
        let license = Fixtures.license(policy: policy, expiresAt: now)
        #expect(license.status(at: now.adding(days: 8), policy: policy) == .revoked)
        #expect(throws: LicenseTransitionError.revoked) {
            try LicenseStateMachine.apply(.renew, to: license, policy: policy, now: now.adding(days: 8))
        }
    }

    @Test func transitionErrorsHaveStableCodes() {
        let codes = [LicenseTransitionError.alreadySuspended, .notSuspended, .revoked, .perpetual, .samePolicy].map(\.asError.code)
        #expect(codes == ["LICENSE_ALREADY_SUSPENDED", "LICENSE_NOT_SUSPENDED", "LICENSE_REVOKED", "LICENSE_PERPETUAL", "POLICY_UNCHANGED"])
    }
}
