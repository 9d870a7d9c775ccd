import Foundation
import TollgateDomain
import TollgateFormats
import TollgateStore

/// Keys from outside the database: the files of the data directory's `keys/` folder (where
/// versions before the key table kept them) and `TOLLGATE_SIGNING_KEYS`, both a JSON list of
/// `{kid, accountId, createdAt, retiredAt?, privateKey}` (`tollgate keys export` prints one).
/// On start they are imported, sealed, into the table; keys already there are left alone, so
/// reading them again at every start changes nothing.
enum KeyImport {
    /// The keys in `configuration`'s folder and variable.
    static func legacyKeys(_ configuration: ServerConfiguration) throws -> [SigningKey] {
        var keys = try files(in: configuration.keysDirectory)
        if let json = configuration.signingKeysJSON {
            do {
                keys += try parse(json)
            } catch {
                throw ConfigurationError("TOLLGATE_SIGNING_KEYS must be a JSON array of {kid, accountId, createdAt, privateKey}: \(error)")
            }
        }
        return keys
    }

    /// Keys from a JSON list of stored keys.
    static func parse(_ json: String) throws -> [SigningKey] {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return try decoder.decode([SigningKey.Stored].self, from: Data(json.utf8)).map { try SigningKey(stored: $0) }
    }

    /// `keys` as a JSON list, private keys included.
    static func json(_ keys: [SigningKey]) throws -> String {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(keys.map(\.stored)), as: UTF8.self)
    }

    /// One JSON file per key (`<kid>.json`), as versions before the key table wrote them.
    static func files(in directory: String) throws -> [SigningKey] {
        let manager = FileManager.default
        guard manager.fileExists(atPath: directory) else { return [] }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return try manager.contentsOfDirectory(atPath: directory).sorted().filter { $0.hasSuffix(".json") }.map { name in
            let data = try Data(contentsOf: URL(fileURLWithPath: (directory as NSString).appendingPathComponent(name)))
            return try SigningKey(stored: decoder.decode(SigningKey.Stored.self, from: data))
        }
    }

    /// Seals `keys` into `store` under `sealer`, skipping ids already stored; returns how many were added.
    @discardableResult
    static func store(_ keys: [SigningKey], in store: Store, sealer: KeyEncryptionKey) async throws -> Int {
        guard !keys.isEmpty else { return 0 }
        let rows = try keys.map(sealer.seal)
        return try await store.write { session in
            var added = 0
            for row in rows where try await session.signingKeys.insert(row) { added += 1 }
            return added
        }
    }
}
