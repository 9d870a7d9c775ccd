import Crypto
import Foundation
import TollgateDomain
import TollgateFormats
import TollgateStore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The key that seals the accounts' private signing keys in the database: AES-256-GCM, with the
/// key's id and account as authenticated data, so a sealed key cannot be moved to another row.
///
/// It comes from `TOLLGATE_KEY_ENCRYPTION_KEY` (base64 of 32 bytes), or from the file named by
/// `--key-encryption-key-file` / `TOLLGATE_KEY_ENCRYPTION_KEY_FILE`, or else from the file
/// `key-encryption-key` in the data directory, generated (mode 0600) on first start: the
/// zero-setup default. Replicas of one database need the same key.
struct KeyEncryptionKey: Sendable {
    let key: SymmetricKey
    /// Where the key came from, as a person would name the setting.
    let source: String

    /// Reads `text` (base64 of 32 bytes, surrounding white space ignored).
    static func parse(_ text: String, source: String) throws -> KeyEncryptionKey {
        guard let bytes = Data(base64Encoded: text.trimmingCharacters(in: .whitespacesAndNewlines)), bytes.count == 32 else {
            throw ConfigurationError("\(source) must hold 32 bytes in base64 (make one with: head -c 32 /dev/urandom | base64).")
        }
        return KeyEncryptionKey(key: SymmetricKey(data: bytes), source: source)
    }

    /// The key `configuration` names, generating the data directory's file when nothing is set.
    static func resolve(_ configuration: ServerConfiguration) throws -> KeyEncryptionKey {
        if let text = configuration.keyEncryptionKey {
            return try parse(text, source: "TOLLGATE_KEY_ENCRYPTION_KEY")
        }
        if let path = configuration.keyEncryptionKeyFile {
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                throw ConfigurationError("The key-encryption key file '\(path)' (--key-encryption-key-file) cannot be read.")
            }
            return try parse(text, source: "the key-encryption key file '\(path)' (--key-encryption-key-file)")
        }
        let path = configuration.generatedKeyEncryptionKeyPath
        let source = "the key-encryption key file '\(path)' (generated; set TOLLGATE_KEY_ENCRYPTION_KEY or --key-encryption-key-file to choose one)"
        if let text = try? String(contentsOfFile: path, encoding: .utf8) { return try parse(text, source: source) }
        try generate(at: path)
        return try parse(try String(contentsOfFile: path, encoding: .utf8), source: source)
    }

    /// Writes a new random key to `path` (mode 0600) unless a file is there already: the file is
    /// written aside and linked into place, which fails if another process got there first.
    private static func generate(at path: String) throws {
        let text = SymmetricKey(size: .bits256).withUnsafeBytes { Data($0).base64EncodedString() } + "\n"
        let temporary = path + ".\(ProcessInfo.processInfo.processIdentifier).tmp"
        guard FileManager.default.createFile(atPath: temporary, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600]) else {
            throw ConfigurationError("Cannot write the key-encryption key file \(temporary).")
        }
        defer { unlink(temporary) }
        guard link(temporary, path) == 0 || errno == EEXIST else {
            throw ConfigurationError("Cannot put the key-encryption key file in place at \(path) (errno \(errno)).")
        }
    }

    static func authenticatedData(id: String, accountId: String) -> Data { Data("tollgate-signing-key:\(id):\(accountId)".utf8) }

    /// `secret` sealed (AES-256-GCM, base64 of nonce, ciphertext and tag), authenticating `context`.
    func seal(_ secret: some DataProtocol, context: Data) throws -> String {
        guard let combined = try AES.GCM.seal(secret, using: key, authenticating: context).combined else { throw TollgateError.internal }
        return combined.base64EncodedString()
    }

    /// The secret in `sealed`; a ``ConfigurationError`` naming this key's setting (and `what`)
    /// when it was sealed under another key, or altered.
    func open(_ sealed: String, context: Data, what: String) throws -> Data {
        do {
            guard let combined = Data(base64Encoded: sealed) else { throw CryptoKitError.incorrectParameterSize }
            return try AES.GCM.open(AES.GCM.SealedBox(combined: combined), using: key, authenticating: context)
        } catch {
            throw ConfigurationError(
                "\(what) in the database cannot be opened with \(source): it was sealed under another key-encryption key. "
                    + "Give every replica the same TOLLGATE_KEY_ENCRYPTION_KEY (or --key-encryption-key-file).")
        }
    }

    /// `signingKey` as a row, its private key sealed.
    func seal(_ signingKey: SigningKey) throws -> SigningKeyTable.Row {
        SigningKeyTable.Row(
            id: signingKey.id, accountId: signingKey.accountId, createdAt: signingKey.createdAt, retiredAt: signingKey.retiredAt,
            sealed: try seal(signingKey.privateKey.rawRepresentation, context: Self.authenticatedData(id: signingKey.id, accountId: signingKey.accountId)))
    }

    /// The signing key in `row` (a ``ConfigurationError`` when it cannot be opened).
    func open(_ row: SigningKeyTable.Row) throws -> SigningKey {
        let seed = try open(row.sealed, context: Self.authenticatedData(id: row.id, accountId: row.accountId), what: "Signing key \(row.id)")
        return SigningKey(
            id: row.id, accountId: row.accountId, privateKey: try Curve25519.Signing.PrivateKey(rawRepresentation: seed), createdAt: row.createdAt,
            retiredAt: row.retiredAt)
    }
}
