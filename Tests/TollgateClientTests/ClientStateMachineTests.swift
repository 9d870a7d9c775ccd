import Foundation
import Testing
import TollgateClient

@Suite struct ClientStateMachineTests {
    let rules = ClientStateMachine()
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)
    let day: TimeInterval = 86_400

    func file(issuedAt: Date? = nil, status: String = "active", expiresAt: Date? = nil) -> OfflineFileCheck {
        .verified(issuedAt: issuedAt ?? t0, offlineGraceDays: 30, licenseStatus: status, licenseExpiresAt: expiresAt)
    }

    var online: ClientStatus { rules.apply(.confirmed(serverTime: t0, now: t0, offlineGraceDays: 30), to: ClientStatus()) }

    @Test func aConfirmationIsValidOnlineForTheOfflineGrace() {
        #expect(online.state == .valid(online: true, offlineUntil: t0.addingTimeInterval(30 * day)))
        #expect(online.lastOnlineAt == t0 && online.latestTrustedTime == t0)
    }

    @Test func offlineItIsValidFor30DaysThenInGraceFor7ThenFailsClosed() {
        let offline = { (days: Double) in rules.apply(.offline(now: t0.addingTimeInterval(days * day), file: file()), to: online).state }
        #expect(offline(1) == .valid(online: false, offlineUntil: t0.addingTimeInterval(30 * day)))
        #expect(offline(29.9) == .valid(online: false, offlineUntil: t0.addingTimeInterval(30 * day)))
        #expect(offline(30) == .grace(endsAt: t0.addingTimeInterval(37 * day)))
        #expect(offline(36.9) == .grace(endsAt: t0.addingTimeInterval(37 * day)))
        #expect(offline(37) == .failed(.offlineTooLong))
        #expect(offline(36.9).allowsUse && !offline(37).allowsUse)
        #expect(offline(31).warning != nil && offline(1).warning == nil)
    }

    @Test func aClockSetBackPastTheToleranceIsTampering() {
        let later = rules.apply(.offline(now: t0.addingTimeInterval(5 * day), file: file()), to: online)
        #expect(later.latestTrustedTime == t0.addingTimeInterval(5 * day))
        // Within the tolerance (10 minutes) it is a clock correction.
        #expect(rules.apply(.offline(now: t0.addingTimeInterval(5 * day - 500), file: file()), to: later).state.allowsUse)
        let tampered = rules.apply(.offline(now: t0.addingTimeInterval(2 * day), file: file()), to: later)
        #expect(tampered.state == .failed(.clockTampered))
        // Setting the clock right again, or an online confirmation, recovers.
        #expect(rules.apply(.offline(now: t0.addingTimeInterval(5 * day), file: file()), to: tampered).state.allowsUse)
        #expect(rules.apply(.confirmed(serverTime: t0.addingTimeInterval(2 * day), now: t0.addingTimeInterval(2 * day), offlineGraceDays: 30), to: tampered).state.allowsUse)
        // A clock before the signed file's issue time is tampering even with no stored history.
        #expect(rules.apply(.offline(now: t0, file: .issuedInFuture), to: online).state == .failed(.clockTampered))
        #expect(rules.apply(.offline(now: t0.addingTimeInterval(-day), file: file()), to: ClientStatus(state: .valid(online: true, offlineUntil: t0), lastOnlineAt: t0)).state == .failed(.clockTampered))
    }

    @Test func refusalsStickOfflineAndOnlyTheServerLiftsThem() {
        let suspended = rules.apply(.refused(.suspended), to: online)
        #expect(suspended.state == .failed(.suspended))
        #expect(rules.apply(.offline(now: t0.addingTimeInterval(day), file: file()), to: suspended).state == .failed(.suspended))
        #expect(rules.apply(.confirmed(serverTime: t0, now: t0, offlineGraceDays: 30), to: suspended).state.allowsUse)
    }

    @Test func theFileDecidesWhatItCanOffline() {
        let at = { (check: OfflineFileCheck) in rules.apply(.offline(now: t0.addingTimeInterval(day), file: check), to: online).state }
        #expect(at(.refused("BAD_SIGNATURE")) == .failed(.invalidLicenseFile("BAD_SIGNATURE")))
        #expect(at(.missing) == .failed(.invalidLicenseFile("MISSING")))
        #expect(at(.expired) == .failed(.offlineTooLong))
        #expect(at(file(status: "suspended")) == .failed(.suspended))
        #expect(at(file(expiresAt: t0.addingTimeInterval(day / 2))) == .failed(.expired))
    }

    @Test func theWindowNeverStartsLaterThanTheSignedFileAllows() {
        // A status file edited to claim a later online check cannot extend the window beyond the
        // file's issue time plus the refresh age.
        var forged = online
        forged.lastOnlineAt = t0.addingTimeInterval(300 * day)
        let state = rules.apply(.offline(now: t0.addingTimeInterval(40 * day), file: file()), to: forged).state
        #expect(state == .failed(.offlineTooLong))
    }

    @Test func deactivationForgetsEverythingButTheTrustedTime() {
        let gone = rules.apply(.deactivated, to: online)
        #expect(gone.state == .inactive && gone.lastOnlineAt == nil && gone.latestTrustedTime == t0)
        #expect(rules.apply(.offline(now: t0, file: file()), to: gone).state == .inactive)
    }
}
