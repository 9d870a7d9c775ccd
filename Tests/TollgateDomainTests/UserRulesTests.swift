import Foundation
import Testing
import TollgateDomain

@Suite struct UserRulesTests {
    @Test func passwordsMustBeLongUncommonAndNotTheUsersOwn() {
        let ok = { PasswordRules.problem(with: $0, email: "ada@example.com", name: "Ada Lovelace") }
        #expect(ok("correct horse battery") == nil)
        #expect(ok("short") != nil, "too short")
        #expect(ok(String(repeating: "é", count: 40)) != nil, "over bcrypt's 72 bytes")
        #expect(ok("password1234") != nil && ok("Password!2024") != nil && ok("iloveyou1234") != nil, "a common word padded with digits")
        #expect(ok("aaaaaaaaaaaaaa") != nil && ok("abababababab") != nil, "one or two characters")
        #expect(ok("1234567890123") != nil && ok("qwertyuiopqw") != nil && ok("0987654321098") != nil, "a run of keys")
        #expect(ok("my lovelace secret") != nil, "the user's name")
        #expect(PasswordRules.problem(with: "ada.example-2027!", email: "ada.example@x.io", name: "A") != nil, "the user's email")
    }

    @Test func emailsAreTrimmedLoweredAndChecked() {
        #expect(User.normalize(email: "  Ada@Example.COM ") == "ada@example.com")
        for bad in ["", "ada", "ada@", "@example.com", "ada@example", "a b@example.com", "ada@@example.com", "ada@.example.com"] {
            #expect(User.normalize(email: bad) == nil, "\(bad)")
        }
    }

    @Test func theThrottleCountsUsersAndAddressesApart() {
        let throttle = SignInThrottle(userFailures: 5, addressFailures: 20)
        #expect(throttle.allows(userFailures: 4, addressFailures: 19))
        #expect(!throttle.allows(userFailures: 5, addressFailures: 0))
        #expect(!throttle.allows(userFailures: 0, addressFailures: 20))
    }

    @Test func secretsAreRandomAndTheirHashesDependOnThePurpose() {
        let a = Secret.generate(prefix: "tgi_")
        #expect(a.hasPrefix("tgi_") && a.count == 47 && a != Secret.generate(prefix: "tgi_"))
        #expect(Secret.hash(a, purpose: "one") == Secret.hash(a, purpose: "one"))
        #expect(Secret.hash(a, purpose: "one") != Secret.hash(a, purpose: "two"))
    }
}
