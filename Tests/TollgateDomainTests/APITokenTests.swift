import Testing
@testable import TollgateDomain

@Suite struct APITokenTests {
    @Test func apiTokensArePrefixedByScopeAndHashedStably() {
        let secret = APIToken.generateSecret(scope: .readOnly)
        #expect(secret.hasPrefix("tgr_") && APIToken.scope(ofSecret: secret) == .readOnly)
        #expect(APIToken.hash(secret: secret) == APIToken.hash(secret: secret))
        #expect(APIToken.hash(secret: secret) != APIToken.hash(secret: secret + "x"))
    }
}
