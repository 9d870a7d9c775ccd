import Crypto
import Foundation
import TollgateClient
import TollgateFormats

/// The Swift SDK's figures (issue 5), on one core, in the same run:
/// - the first verification of a stored machine file (plain and encrypted), as a ratio to a raw
///   Ed25519 verify of the same signed bytes; every verification is a first one (nothing is cached);
/// - repeated checks after verification: `isEntitled` and `validate(maxAge:)` served from memory.
func sdkBenchmark(iterations: Int) async throws {
    let now = Date()
    let signer = SigningKey.generate(accountId: "acc_bench", now: now)
    let licenseId = Identifier.make(.license), productId = Identifier.make(.product)
    let licenseKey = try LicenseKey(keyId: signer.id, licenseId: licenseId, productId: productId, expiresAt: nil).signed(with: signer)
    let fingerprint = String(repeating: "ab", count: 32)
    let limits = EffectiveLimits(
        values: ["maxMachines": .limited(5), "concurrentExecutions": .limited(10), "executionsPerMonth": .limited(100_000)],
        periods: ["executionsPerMonth": .month])
    let content = LicenseFileContent(
        license: .init(
            id: licenseId, accountId: "acc_bench", productId: productId, policyId: Identifier.make(.policy), customerId: Identifier.make(.customer),
            status: "active", tier: "Professional", entitlements: ["api-access", "cloud-deployment", "core", "priority-support"], limits: limits,
            expiresAt: now.addingTimeInterval(365 * 86_400), offlineGraceDays: 30),
        machine: .init(id: Identifier.make(.machine), fingerprint: fingerprint, name: "bench", cluster: nil), issuedAt: now, ttlSeconds: 37 * 86_400)
    let plain = try LicenseFile.issue(content, signedWith: signer)
    let encrypted = try LicenseFile.issue(content, signedWith: signer, encryptWith: licenseKey)
    let jwks = JWKS(keys: [VerificationKey(id: signer.id, accountId: nil, publicKey: signer.publicKey)])
    let verifier = Verifier(keys: jwks)

    // The raw verify: the same signed message and signature the file verification checks.
    func signed(_ file: String) -> (message: Data, signature: Data) {
        let envelope = try! JSONSerialization.jsonObject(with: Armor.unwrap(file, label: LicenseFile.label)!) as! [String: String]
        var message = Data("tollgate-license-file-v1\0\(envelope["alg"]!)\0\(envelope["type"]!)\0\(envelope["kid"]!)\0".utf8)
        message.append(Data(base64Encoded: envelope["enc"]!)!)
        return (message, Data(base64Encoded: envelope["sig"]!)!)
    }
    let (plainMessage, plainSignature) = signed(plain)
    let (encryptedMessage, encryptedSignature) = signed(encrypted)
    precondition(signer.publicKey.isValidSignature(plainSignature, for: plainMessage))

    // Interleaved: each of 25 rounds times a slice of raw verifies and then the same number of file
    // verifications, and the ratio is taken per round (the median is reported), so that the
    // shared machine's drift between one measurement and the next cancels out.
    let rounds = 25
    let slice = max(1, iterations / 5)
    var raw: [Double] = [], rawEncrypted: [Double] = [], file: [Double] = [], fileEncrypted: [Double] = []
    var ratio: [Double] = [], ratioEncrypted: [Double] = []
    _ = measure(2_000) { signer.publicKey.isValidSignature(plainSignature, for: plainMessage) }
    for _ in 0..<rounds {
        raw.append(measure(slice) { signer.publicKey.isValidSignature(plainSignature, for: plainMessage) })
        file.append(measure(slice) { (try? verifier.licenseFile(plain, now: now, fingerprint: fingerprint).get()) != nil })
        ratio.append(file.last! / raw.last!)
        rawEncrypted.append(measure(slice) { signer.publicKey.isValidSignature(encryptedSignature, for: encryptedMessage) })
        fileEncrypted.append(measure(slice) {
            (try? verifier.licenseFile(encrypted, now: now, licenseKey: licenseKey, fingerprint: fingerprint).get()) != nil
        })
        ratioEncrypted.append(fileEncrypted.last! / rawEncrypted.last!)
    }
    func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
    print("Swift SDK, \(rounds) interleaved rounds of \(slice), one core (medians; ratios per round)")
    print(String(format: "  raw Ed25519 verify (plain file bytes):      %9.0f /s", median(raw)))
    print(String(format: "  machine file verify, plain:                 %9.0f /s   ratio %.3f (target >= 0.8)", median(file), median(ratio)))
    print(String(format: "  raw Ed25519 verify (encrypted file bytes):  %9.0f /s", median(rawEncrypted)))
    print(String(format: "  machine file verify, encrypted:             %9.0f /s   ratio %.3f (target >= 0.8)", median(fileEncrypted), median(ratioEncrypted)))

    // A client that verified its stored file once (the server is not reachable: port 1).
    let storage = FileManager.default.temporaryDirectory.appendingPathComponent("tollgate-bench-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: storage, withIntermediateDirectories: true)
    let header = Base64URL.encode(Data(#"{"alg":"EdDSA","kid":"\#(signer.id)","typ":"JWT"}"#.utf8))
    let claims: [String: Any] = [
        "sub": content.machine!.id, "iat": Int(now.timeIntervalSince1970), "exp": Int(now.timeIntervalSince1970) + 900, "account": "acc_bench",
        "license": licenseId, "machine": content.machine!.id, "fingerprint": fingerprint, "product": productId, "tier": "Professional",
        "status": "active", "entitlements": content.license.entitlements, "limits": ["maxMachines": 5, "concurrentExecutions": 10],
    ]
    let payload = Base64URL.encode(try JSONSerialization.data(withJSONObject: claims))
    let token = "\(header).\(payload).\(Base64URL.encode(try signer.privateKey.signature(for: Data("\(header).\(payload)".utf8))))"
    let activation: [String: Any] = [
        "licenseKey": licenseKey, "licenseId": licenseId, "machineId": content.machine!.id, "fingerprint": fingerprint, "token": token, "floating": true,
    ]
    try JSONSerialization.data(withJSONObject: activation).write(to: storage.appendingPathComponent("machine.json"))
    try Data(encrypted.utf8).write(to: storage.appendingPathComponent("license-file.lic"))
    // As activation left it: confirmed online just now.
    try ClientStorage(directory: storage).writeJSON(
        ClientStatus(state: .valid(online: true, offlineUntil: now.addingTimeInterval(30 * 86_400)), lastOnlineAt: now, latestTrustedTime: now),
        to: "status.json")
    var configuration = TollgateClientConfiguration(serverURL: URL(string: "http://127.0.0.1:1")!, productId: productId, keys: jwks, storageDirectory: storage)
    configuration.fingerprint = fingerprint
    let client = try TollgateClient(configuration)
    guard await client.validate().allowsUse, client.isEntitled("core") else { fatalError("the bench client is not valid offline") }

    let checks = iterations * 100
    var entitled: [Double] = [], validated: [Double] = []
    for _ in 0..<rounds {
        entitled.append(measure(checks) { client.isEntitled("core") })
        let start = ContinuousClock.now
        for _ in 0..<checks {
            let state = await client.validate(maxAge: 3_600)
            precondition(state.allowsUse)
        }
        validated.append(Double(checks) / ((ContinuousClock.now - start) / .seconds(1)))
    }
    print(String(format: "  isEntitled(\"core\"):                         %9.0f /s   (target >= 1,000,000)", median(entitled)))
    print(String(format: "  validate(maxAge:) from memory:              %9.0f /s   (target >= 1,000,000)", median(validated)))
    try? FileManager.default.removeItem(at: storage)
}

