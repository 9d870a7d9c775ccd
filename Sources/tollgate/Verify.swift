import ArgumentParser
import Foundation
import TollgateDomain
import TollgateFormats

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `tollgate verify KEY` / `tollgate verify --file F`: checks a license key or a license file
/// offline with a public key or a JWKS.
struct Verify: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Verify a license key or a license file offline with the vendor's public key.",
        discussion: """
            A key: checks its checksum (MISTYPED), signature (BAD_SIGNATURE) and the expiry it carries (EXPIRED). \
            Suspension and revocation need the server: use 'tollgate licenses validate'. \
            A file (--file): checks its signature over every byte, that it was not issued in the future (clock tampering), \
            that it has not expired, and with --fingerprint that a machine file belongs to this machine; \
            an encrypted file needs --license-key (and --fingerprint for a machine file). \
            Exit code 0 when valid, 1 when not.
            """)

    @Argument(help: "The license key (or use --file).") var key: String?
    @Option(help: "A license or machine file to verify instead of a key ('-' for standard input).") var file: String?
    @Option(name: .customLong("license-key"), help: "The license key that opens an encrypted file.") var licenseKey: String?
    @Option(help: "This machine's fingerprint: a machine file for another machine is refused.") var fingerprint: String?
    @Option(name: .customLong("public-key"), help: "A PEM public key file (GET /v1/keys shows it).") var publicKey: String?
    @Option(help: "A JWKS URL or file, e.g. http://127.0.0.1:8080/.well-known/jwks.json.") var jwks: String?
    @Flag(help: "Print JSON.") var json = false

    func validate() throws {
        guard (publicKey == nil) != (jwks == nil) else { throw ValidationError("Give exactly one of --public-key and --jwks.") }
        guard (key == nil) != (file == nil) else { throw ValidationError("Give a license key or --file, not both.") }
    }

    func run() async throws {
        let keys: [VerificationKey]
        if let publicKey {
            guard let text = try? String(contentsOfFile: publicKey, encoding: .utf8), let key = VerificationKey.parse(pemOrBase64: text) else {
                throw ValidationError("'\(publicKey)' does not hold an Ed25519 public key in PEM.")
            }
            keys = [key]
        } else {
            let data: Data
            if let source = jwks, source.hasPrefix("http://") || source.hasPrefix("https://"), let url = URL(string: source) {
                do { data = try await URLSession.shared.data(from: url).0 } catch {
                    FileHandle.standardError.write(Data("error: cannot fetch \(source): \(error.localizedDescription)\n".utf8))
                    throw ExitCode(3)
                }
            } else {
                guard let file = jwks, let contents = FileManager.default.contents(atPath: file) else { throw ValidationError("Cannot read '\(jwks ?? "")'.") }
                data = contents
            }
            guard let set = try? JSONDecoder().decode(JWKS.self, from: data) else { throw ValidationError("The JWKS is not valid JSON Web Key Set.") }
            keys = set.verificationKeys
        }
        // A single PEM key verifies whatever key id the license names.
        let lookup: (String) -> VerificationKey? = { kid in publicKey != nil ? keys.first : keys.first { $0.id == kid } }
        if let file {
            let text: String
            do { text = try readText(file) } catch let failure as CommandFailure {
                FileHandle.standardError.write(Data("error: \(failure.description)\n".utf8))
                throw ExitCode(failure.exitCode)
            }
            try report(LicenseFile.verify(text, now: Date(), licenseKey: licenseKey, fingerprint: fingerprint, keys: lookup))
            return
        }
        guard let key else { throw ValidationError("Give a license key or --file.") }
        let code: ValidationCode
        var message: String
        var license: LicenseKey?
        switch LicenseKey.verify(key, keys: lookup) {
        case .failure(.mistyped(let text)): (code, message) = (.mistyped, text)
        case .failure(.badSignature(let text)): (code, message) = (.badSignature, text)
        case .success(let verified):
            license = verified
            if let expiry = verified.expiresAt, expiry <= Date() {
                (code, message) = (.expired, "The key's expiry has passed (the server may know of a renewal).")
            } else {
                (code, message) = (.valid, "Signature valid.")
            }
        }
        if json {
            var fields: [String: JSONValue] = ["code": .string(code.rawValue), "valid": .bool(code == .valid), "message": .string(message)]
            if let license {
                fields["licenseId"] = .string(license.licenseId)
                fields["productId"] = .string(license.productId)
                fields["keyId"] = .string(license.keyId)
                fields["expiresAt"] = license.expiresAt.map { .string(ISO8601DateFormatter().string(from: $0)) } ?? .null
            }
            Output.json(.object(fields))
        } else {
            print("\(code.rawValue): \(message)")
            if let license {
                print("  license \(license.licenseId)\n  product \(license.productId)\n  key id  \(license.keyId)")
                print("  expires \(license.expiresAt.map { ISO8601DateFormatter().string(from: $0) } ?? "never")")
            }
        }
        if code != .valid { throw ExitCode(1) }
    }

    /// Prints the verdict on a license file.
    func report(_ result: Result<LicenseFileContent, LicenseFileError>) throws {
        switch result {
        case .failure(let error):
            if json {
                Output.json(.object(["valid": .bool(false), "code": .string(error.code), "message": .string(error.message)]))
            } else {
                print("\(error.code): \(error.message)")
            }
            throw ExitCode(1)
        case .success(let content):
            if json {
                let data = (try? LicenseFile.encoder.encode(content)) ?? Data()
                let decoded = (try? JSONDecoder().decode(JSONValue.self, from: data)) ?? .null
                Output.json(.object(["valid": .bool(true), "code": .string("VALID"), "file": decoded]))
            } else {
                let iso = ISO8601DateFormatter()
                print("VALID: signature, issue time and expiry check out\(fingerprint != nil && content.machine != nil ? ", bound to this machine" : "").")
                print("  \(content.type.rawValue) file for license \(content.license.id) (\(content.license.status), tier \(content.license.tier))")
                if let machine = content.machine { print("  machine \(machine.id) fingerprint \(machine.fingerprint)") }
                print("  entitlements \(content.license.entitlements.joined(separator: ", "))")
                print("  issued \(iso.string(from: content.issuedAt)), valid until \(iso.string(from: content.expiresAt))")
            }
        }
    }
}
