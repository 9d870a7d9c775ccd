import Foundation

/// The client's files in its storage directory, each written atomically (a temporary file of
/// mode 0600 in the same directory, then `rename`) so that a crash leaves the old or the new
/// content, never a mix; the directory itself is 0700.
///
/// - `machine.json`: the activation (license key, machine id, fingerprint, token).
/// - `license-file.lic`: the signed machine file, for offline checks.
/// - `status.json`: the ``ClientStatus`` (state, last online check, latest trusted time).
public struct ClientStorage: Sendable {
    public let directory: URL

    public init(directory: URL) throws {
        self.directory = directory
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
    }

    /// What activation stored.
    public struct Activation: Codable, Sendable, Equatable {
        public var licenseKey: String
        public var licenseId: String
        public var machineId: String
        public var fingerprint: String
        public var token: String
        /// Whether the policy lets machines float (deactivated on graceful shutdown).
        public var floating: Bool
        /// The policy's heartbeat interval, when it requires heartbeats.
        public var heartbeatIntervalSeconds: Int?
    }

    static let activationFile = "machine.json"
    static let licenseFile = "license-file.lic"
    static let statusFile = "status.json"
    static let tiersFile = "tiers.json"

    public func read(_ name: String) -> Data? {
        try? Data(contentsOf: directory.appendingPathComponent(name))
    }

    public func readJSON<T: Decodable>(_ type: T.Type, _ name: String) -> T? {
        read(name).flatMap { try? Self.decoder.decode(type, from: $0) }
    }

    /// Replaces `name` with `data`: complete and durable (fsync) before it returns.
    public func write(_ data: Data, to name: String) throws {
        let target = directory.appendingPathComponent(name)
        let temporary = directory.appendingPathComponent(".\(name).\(UUID().uuidString).tmp")
        let descriptor = open(temporary.path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard descriptor >= 0 else { throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: temporary.path]) }
        let handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
        do {
            try handle.write(contentsOf: data)
            try handle.synchronize()
            try handle.close()
            guard rename(temporary.path, target.path) == 0 else { throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: target.path]) }
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw error
        }
    }

    public func writeJSON(_ value: some Encodable, to name: String) throws {
        try write(try Self.encoder.encode(value), to: name)
    }

    public func remove(_ name: String) {
        try? FileManager.default.removeItem(at: directory.appendingPathComponent(name))
    }

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }()

    static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }()
}
