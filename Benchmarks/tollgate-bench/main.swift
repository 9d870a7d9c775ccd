// Offline verification benchmark: license key verification against a raw Ed25519 verify of
// the same bytes, on one core, in the same run. Build in release:
//   swift build -c release --product tollgate-bench && .build/release/tollgate-bench
// `tollgate-bench sdk [iterations]` measures the Swift SDK instead (SDKBenchmark.swift).
import Crypto
import Foundation
import TollgateFormats

let signer = SigningKey.generate(accountId: "acc_bench", now: Date())
let license = LicenseKey(
    keyId: signer.id, licenseId: Identifier.make(.license), productId: Identifier.make(.product),
    expiresAt: Date().addingTimeInterval(86_400 * 365))
let text = try license.signed(with: signer)
let verificationKey = VerificationKey(id: signer.id, accountId: signer.accountId, publicKey: signer.publicKey)
guard case .success(let (_, message, signature)) = LicenseKey.decode(text) else { fatalError("decode") }
let publicKey = signer.publicKey

/// Runs `body` `iterations` times and returns operations per second.
@inline(never)
func measure(_ iterations: Int, _ body: () -> Bool) -> Double {
    var ok = 0
    let start = ContinuousClock.now
    for _ in 0..<iterations where body() { ok += 1 }
    let elapsed = ContinuousClock.now - start
    precondition(ok == iterations, "a verification failed")
    let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    return Double(iterations) / seconds
}

if CommandLine.arguments.dropFirst().first == "sdk" {
    try await sdkBenchmark(iterations: Int(CommandLine.arguments.dropFirst(2).first ?? "") ?? 20_000)
    exit(0)
}
let iterations = Int(CommandLine.arguments.dropFirst().first ?? "") ?? 20_000
let rounds = 5
var raw: [Double] = []
var key: [Double] = []
// Interleave the two so that machine noise hits both alike.
_ = measure(2_000) { publicKey.isValidSignature(signature, for: message) }
for _ in 0..<rounds {
    raw.append(measure(iterations) { publicKey.isValidSignature(signature, for: message) })
    key.append(measure(iterations) { (try? LicenseKey.verify(text, keys: { _ in verificationKey }).get()) != nil })
}
let rawMedian = raw.sorted()[rounds / 2]
let keyMedian = key.sorted()[rounds / 2]
print("offline verification, \(iterations) x \(rounds) rounds, one core (medians)")
print(String(format: "  raw Ed25519 verify:      %9.0f /s", rawMedian))
print(String(format: "  license key verify:      %9.0f /s", keyMedian))
print(String(format: "  ratio key / raw:         %9.3f   (target >= 0.9)", keyMedian / rawMedian))

// The floor of online validation: every answer carries a fresh Ed25519 signature.
let answer = Data(repeating: 0x7B, count: 600)
let signRate = measure(iterations) { (try? signer.privateKey.signature(for: answer)) != nil }
print(String(format: "  Ed25519 sign (600 B):    %9.0f /s   (each online answer pays one)", signRate))
