import Foundation
import TollgateCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where private signing keys live.
protocol KeyStore: Sendable {
    func load() throws -> [SigningKey]
    /// Persists a new or changed key.
    func save(_ key: SigningKey) throws
}

/// One JSON file per key (`<kid>.json`) in a folder of mode 0700, each file of mode 0600,
/// written atomically (temporary file, then rename).
struct FileKeyStore: KeyStore {
    let directory: String

    func load() throws -> [SigningKey] {
        let manager = FileManager.default
        guard manager.fileExists(atPath: directory) else { return [] }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return try manager.contentsOfDirectory(atPath: directory).sorted().filter { $0.hasSuffix(".json") }.map { name in
            let data = try Data(contentsOf: URL(fileURLWithPath: (directory as NSString).appendingPathComponent(name)))
            return try SigningKey(stored: decoder.decode(SigningKey.Stored.self, from: data))
        }
    }

    func save(_ key: SigningKey) throws {
        let manager = FileManager.default
        try manager.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let data = try encoder.encode(key.stored)
        let path = (directory as NSString).appendingPathComponent("\(key.id).json")
        let temporary = path + ".tmp"
        guard manager.createFile(atPath: temporary, contents: data, attributes: [.posixPermissions: 0o600]) else {
            throw ConfigurationError("Cannot write signing key file \(temporary).")
        }
        // rename(2) replaces atomically: a reader sees the old file or the new one, never half of one.
        guard rename(temporary, path) == 0 else {
            throw ConfigurationError("Cannot move signing key file into place at \(path) (errno \(errno)).")
        }
    }
}

/// Keys from `TOLLGATE_SIGNING_KEYS` (a JSON array of stored keys), shared by replicas.
/// Read-only: rotation means adding a key to the variable and restarting.
struct EnvironmentKeyStore: KeyStore {
    let json: String

    func load() throws -> [SigningKey] {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        let stored: [SigningKey.Stored]
        do {
            stored = try decoder.decode([SigningKey.Stored].self, from: Data(json.utf8))
        } catch {
            throw ConfigurationError("TOLLGATE_SIGNING_KEYS must be a JSON array of {kid, accountId, createdAt, privateKey}: \(error)")
        }
        return try stored.map { try SigningKey(stored: $0) }
    }

    func save(_ key: SigningKey) throws {
        throw TollgateError.conflict(
            code: "KEYS_MANAGED_BY_ENVIRONMENT",
            message: "Signing keys come from TOLLGATE_SIGNING_KEYS; add the new key there and restart every replica.")
    }
}
