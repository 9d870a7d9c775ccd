import Foundation
import Testing
import TollgateClient
import TollgateDomain
import TollgateFormats

/// The shared vectors: fresh (a new generation has the same verdicts and formats), and every one
/// giving its verdict in the Swift SDK. The Python and JS suites read the same file.
@Suite(.serialized) struct SharedVectorTests {
    @Test func theCommittedVectorsAreWhatTheServerProducesToday() async throws {
        try await withLiveServer { server in
            let fresh = try await VectorGenerator.generate(server)
            if ProcessInfo.processInfo.environment["TOLLGATE_WRITE_VECTORS"] == "1" { try fresh.write() }
            let committed = try SharedVectors.load()
            #expect(committed.format == fresh.format)
            let (old, new) = (committed.shape, fresh.shape)
            for line in Set(old).symmetricDifference(new).sorted() {
                Issue.record("stale vectors (rewrite: TOLLGATE_WRITE_VECTORS=1 swift test --filter SharedVectorTests): \(line)")
            }
            // Fresh ones give their verdicts too, so that the generator cannot drift from them.
            for failure in Self.verdictFailures(fresh) { Issue.record("fresh: \(failure)") }
        }
    }

    @Test func everyVectorGivesItsVerdict() throws {
        let vectors = try SharedVectors.load()
        #expect(vectors.licenseKeys.count + vectors.licenseFiles.count + vectors.tokens.count + vectors.validationAnswers.count >= 35)
        for failure in Self.verdictFailures(vectors) { Issue.record("\(failure)") }
    }

    /// Each vector whose verdict in this SDK differs from the expected one.
    static func verdictFailures(_ vectors: SharedVectors) -> [String] {
        let verifier = Verifier(keys: vectors.jwks)
        typealias Expect = SharedVectors.Expect
        func date(_ seconds: Int64?) -> Date { Date(timeIntervalSince1970: TimeInterval(seconds ?? 0)) }
        func seconds(_ date: Date?) -> Int64? { date.map { Int64($0.timeIntervalSince1970) } }
        func judge<T>(_ result: Result<T, Verifier.Failure>, _ expect: Expect, _ described: (T) -> Expect) -> Expect {
            switch result {
            case .success(let value): described(value)
            case .failure(let failure): Expect(valid: false, error: failure.code)
            }
        }
        var failures: [String] = []
        func check(_ section: String, _ vector: SharedVectors.Vector, _ got: Expect) {
            if got != vector.expect { failures.append("\(section)/\(vector.name): expected \(vector.expect), got \(got)") }
        }
        for vector in vectors.licenseKeys {
            check("licenseKeys", vector, judge(verifier.licenseKey(vector.key ?? ""), vector.expect) {
                Expect(valid: true, licenseId: $0.licenseId, productId: $0.productId, keyId: $0.keyId, expiresAt: seconds($0.expiresAt))
            })
        }
        for vector in vectors.licenseFiles {
            let result = verifier.licenseFile(vector.file ?? "", now: date(vector.now), licenseKey: vector.licenseKey, fingerprint: vector.fingerprint)
            check("licenseFiles", vector, judge(result, vector.expect) {
                Expect(
                    valid: true, type: $0.type.rawValue, licenseId: $0.license.id, machineId: $0.machine?.id, tier: $0.license.tier,
                    entitlements: $0.license.entitlements, offlineGraceDays: $0.license.offlineGraceDays, expiresAt: seconds($0.expiresAt),
                    limits: vector.expect.limits == nil ? nil : $0.license.limits.values,
                    limitPeriods: vector.expect.limitPeriods == nil ? nil : $0.license.limits.periods)
            })
        }
        for vector in vectors.tokens {
            check("tokens", vector, judge(verifier.token(vector.token ?? "", now: date(vector.now)), vector.expect) {
                Expect(
                    valid: true, licenseId: $0.license, machineId: $0.machine, tier: $0.tier, entitlements: $0.entitlements, expiresAt: seconds($0.exp),
                    limits: vector.expect.limits == nil ? nil : $0.limits.values, limitPeriods: vector.expect.limitPeriods == nil ? nil : $0.limits.periods)
            })
        }
        for vector in vectors.validationAnswers {
            let result = verifier.validationAnswer(body: Data((vector.body ?? "").utf8), signature: vector.signature, nonce: vector.nonce ?? "")
            check("validationAnswers", vector, judge(result, vector.expect) { Expect(valid: true, licenseId: $0.license?.id, code: $0.code) })
        }
        return failures
    }
}
