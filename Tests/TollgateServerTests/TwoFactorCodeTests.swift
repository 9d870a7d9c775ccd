import Foundation
import HummingbirdOTP
import Testing
@testable import TollgateServer

@Suite struct TwoFactorCodeTests {
    /// RFC 6238, appendix B: the SHA-1 key "12345678901234567890" (8 digits there).
    @Test func theRFCsVectorsHold() {
        let totp = TOTP(secret: "12345678901234567890", length: 8)
        #expect(totp.compute(date: Date(timeIntervalSince1970: 59)) == 94_287_082)
        #expect(totp.compute(date: Date(timeIntervalSince1970: 1_111_111_109)) == 7_081_804)
        #expect(totp.compute(date: Date(timeIntervalSince1970: 2_000_000_000)) == 69_279_037)
        #expect(TwoFactorCode.base32("12345678901234567890") == "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ")
    }

    @Test func aCodeIsTakenForTheStepsAroundNowAndEachStepOnce() {
        let secret = "12345678901234567890"
        let now = Date(timeIntervalSince1970: 59)
        // At 59 s, step 1; its 6-digit code is the last six of the RFC's 94287082.
        #expect(TwoFactorCode.acceptedStep(code: "287082", secret: secret, now: now, lastStep: nil) == 1)
        #expect(TwoFactorCode.acceptedStep(code: "287 082", secret: secret, now: now.addingTimeInterval(30), lastStep: nil) == 1, "one step late")
        #expect(TwoFactorCode.acceptedStep(code: "287082", secret: secret, now: now.addingTimeInterval(90), lastStep: nil) == nil, "three steps late")
        #expect(TwoFactorCode.acceptedStep(code: "287082", secret: secret, now: now, lastStep: 1) == nil, "used already")
        #expect(TwoFactorCode.acceptedStep(code: "287083", secret: secret, now: now, lastStep: nil) == nil)
        #expect(TwoFactorCode.acceptedStep(code: "abcdef", secret: secret, now: now, lastStep: nil) == nil)
        #expect(TwoFactorCode.link(secret: secret, account: "ada@example.com").hasPrefix("otpauth://totp/Tollgate:ada@example.com?secret=GEZDGNBVGY3TQOJQ"))
    }
}
