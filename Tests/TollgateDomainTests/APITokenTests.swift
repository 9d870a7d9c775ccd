import Foundation
import Testing
@testable import TollgateDomain

@Suite struct APITokenTests {
    @Test func apiTokensArePrefixedByRoleAndHashedStably() {
        let secret = APIToken.generateSecret(role: .readOnly)
        #expect(secret.hasPrefix("tgr_") && secret.count == 47)
        #expect(APIToken.generateSecret(role: .support).hasPrefix("tga_"))
        #expect(APIToken.hash(secret: secret) == APIToken.hash(secret: secret))
        #expect(APIToken.hash(secret: secret) != APIToken.hash(secret: secret + "x"))
    }

    /// Tokens stored before roles said `scope`; those read back as the role of the same name.
    @Test func aTokenStoredWithAScopeReadsBackWithThatRole() throws {
        let old = #"{"id":"tok_1","accountId":"acc_1","name":"admin","scope":"read-only","createdAt":1767225600000}"#
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .millisecondsSince1970
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .millisecondsSince1970
        let token = try decoder.decode(APIToken.self, from: Data(old.utf8))
        #expect(token.role == .readOnly && token.prefix == "" && token.expiresAt == nil)
        #expect(try decoder.decode(APIToken.self, from: try encoder.encode(token)) == token)
    }

    @Test func rolesAllowTheirPermissionsAndGrantOnlyWhatTheyHave() {
        for permission in Permission.allCases {
            #expect(Role.owner.allows(permission) && Role.admin.allows(permission) == (permission != .accountManage))
            #expect(Role.readOnly.allows(permission) == permission.rawValue.hasSuffix(".read"))
        }
        #expect(Role.support.allows(.licensesSuspend) && Role.support.allows(.machinesDeactivate))
        #expect(!Role.support.allows(.tokensManage) && !Role.support.allows(.keysRead) && !Role.support.allows(.licensesManage))
        #expect(Role.sales.allows(.licensesCreate) && !Role.sales.allows(.licensesSuspend))
        #expect(Role.developer.allows(.keysManage) && !Role.developer.allows(.licensesCreate))
        #expect(!Role.admin.mayGrant(.owner) && Role.owner.mayGrant(.admin) && Role.developer.mayGrant(.readOnly) && Role.developer.mayGrant(.moderator))
        #expect(!Role.developer.mayGrant(.admin) && !Role.support.mayGrant(.sales) && !Role.readOnly.mayGrant(.support))
    }
}
