import Crypto
import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing
import TollgateDomain
import TollgateFormats
import TollgateStore
@testable import TollgateServer

/// Signing keys live in the database, sealed under the key-encryption key: never in clear, the
/// same for every replica that has that key, refused (with the setting named) by one that has not.
@Suite struct SigningKeyStorageTests {
    func rows(_ app: TestApp) async throws -> [SigningKeyTable.Row] {
        try await app.built.services.store.read { try await $0.signingKeys.all() }
    }

    @Test func keysAreSealedInTheDatabaseAndTheGeneratedKeyEncryptionKeyIsPrivate() async throws {
        let app = try await TestApp.make()
        defer { try? FileManager.default.removeItem(atPath: app.directory) }
        let stored = try await rows(app)
        let key = try await app.built.services.keys.current(accountId: app.built.defaultAccount.id)
        #expect(stored.map(\.id) == [key.id])
        let seed = key.privateKey.rawRepresentation
        let sealed = try #require(Data(base64Encoded: stored[0].sealed))
        #expect(!stored[0].sealed.contains(seed.base64EncodedString()) && sealed.range(of: seed) == nil)
        let path = app.configuration.generatedKeyEncryptionKeyPath
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        #expect(!FileManager.default.fileExists(atPath: app.configuration.keysDirectory))
        // The seal binds the key to its row: moved to another id, it does not open.
        let sealer = app.built.services.keys.sealer
        var moved = stored[0]
        moved.id = "00000000"
        #expect(throws: ConfigurationError.self) { try sealer.open(moved) }
        #expect(try sealer.open(stored[0]).privateKey.rawRepresentation == seed)
    }

    @Test func aWrongKeyEncryptionKeyStopsTheStartAndNamesTheSetting() async throws {
        let app = try await TestApp.make()
        defer { try? FileManager.default.removeItem(atPath: app.directory) }
        var configuration = app.configuration
        configuration.keyEncryptionKey = SymmetricKey(size: .bits256).withUnsafeBytes { Data($0).base64EncodedString() }
        do {
            _ = try await buildApplication(configuration, clock: app.clock, startNow: true)
            Issue.record("a replica with another key-encryption key started")
        } catch let error as ConfigurationError {
            #expect(error.description.contains("TOLLGATE_KEY_ENCRYPTION_KEY"), "\(error)")
        }
        configuration.keyEncryptionKey = "short"
        await #expect(throws: ConfigurationError.self) { _ = try await buildApplication(configuration, clock: app.clock, startNow: true) }
        // The right key, given as a file, opens them.
        configuration.keyEncryptionKey = nil
        configuration.keyEncryptionKeyFile = app.configuration.generatedKeyEncryptionKeyPath
        let again = try await buildApplication(configuration, clock: app.clock, startNow: true)
        #expect(again.services.keys.snapshot.keys.count == 1)
    }

    @Test func keysFromFilesAndTheEnvironmentAreImportedOnceAndRotateLikeAnyOther() async throws {
        let app = try await TestApp.make()
        defer { try? FileManager.default.removeItem(atPath: app.directory) }
        let accountId = app.built.defaultAccount.id
        // A key file as versions before the key table wrote them, and one key in the variable.
        let fromFile = SigningKey.generate(accountId: accountId, now: app.clock.now().addingTimeInterval(-60))
        let fromVariable = SigningKey.generate(accountId: accountId, now: app.clock.now().addingTimeInterval(-30))
        try FileManager.default.createDirectory(atPath: app.configuration.keysDirectory, withIntermediateDirectories: true)
        try Data(try KeyImport.json([fromFile]).dropFirst().dropLast().utf8)
            .write(to: URL(fileURLWithPath: app.configuration.keysDirectory + "/\(fromFile.id).json"))
        var configuration = app.configuration
        configuration.signingKeysJSON = try KeyImport.json([fromVariable])
        for _ in 0..<2 {
            let built = try await buildApplication(configuration, clock: app.clock, startNow: true)
            #expect(Set(built.services.keys.snapshot.keys.map(\.id)).isSuperset(of: [fromFile.id, fromVariable.id]))
        }
        #expect(try await rows(app).count == 3)
        let built = try await buildApplication(configuration, clock: app.clock, startNow: true)
        try await built.application.test(.router) { client in
            let client = TestApp.Client(client: client)
            let rotated = try await client.send(.post, "/v1/keys/actions/rotate")
            #expect(rotated.status == 201)
            let kid = try #require(rotated.object["kid"] as? String)
            #expect(try await built.services.keys.current(accountId: accountId).id == kid)
            #expect(try await client.send(.post, "/v1/keys/\(fromVariable.id)/actions/retire").status == 200)
        }
        let stored = try await rows(app)
        #expect(stored.count == 4 && stored.first { $0.id == fromVariable.id }?.retiredAt != nil)
    }

    @Test func anotherReplicaSeesARotationWithoutARestart() async throws {
        let app = try await TestApp.make()
        defer { try? FileManager.default.removeItem(atPath: app.directory) }
        let other = try await buildApplication(app.configuration, clock: app.clock, startNow: true)
        try await app.run { client in
            // The other replica reread its keys just before the rotation: that read must not answer
            // the miss that follows it (it began before the new key existed).
            await other.services.keys.reload()
            let kid = try #require(try await client.send(.post, "/v1/keys/actions/rotate").object["kid"] as? String)
            // The other replica learns it on a miss (a license signed by it) without waiting for its refresh.
            let license = try await client.license()
            #expect(other.services.keys.verificationKey(id: kid) == nil)
            let verified = await other.services.licenseKeys.verify(license.key)
            #expect((try? verified.get())?.key.keyId == kid)
        }
    }
}
