import Foundation
import Testing
import TollgateFormats
@testable import TollgateDomain

/// Pseudonyms are stable per salt and differ across salts and ids; a telemetry meter takes only
/// the properties it declares and reads only those.
@Suite struct TelemetryPseudonymTests {
    @Test func pseudonymsAreStablePerSaltAndDifferAcrossSalts() {
        let (salt, other) = (TelemetryPseudonym.newSalt(), TelemetryPseudonym.newSalt())
        #expect(salt.count == 32 && salt != other)
        let pseudonym = TelemetryPseudonym.make("lic_01", salt: salt)
        #expect(pseudonym == TelemetryPseudonym.make("lic_01", salt: salt))
        #expect(pseudonym.hasPrefix("anon_") && pseudonym.count == 5 + 32 && !pseudonym.contains("lic_01"))
        #expect(pseudonym != TelemetryPseudonym.make("lic_02", salt: salt))
        #expect(pseudonym != TelemetryPseudonym.make("lic_01", salt: other))
        // HMAC-SHA256 under the salt, by the RFC 4231 test case 2 (key "Jefe").
        let vector = TelemetryPseudonym.make("what do ya want for nothing?", salt: Array("Jefe".utf8))
        #expect(vector == "anon_5bdcc146bf60754e6a042426089575c7")
    }

    @Test func aTelemetryMeterTakesOnlyTheDeclaredProperties() throws {
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let meter = try MeterDraft(
            code: "latency", name: "Latency", aggregation: .max, property: "ms", kind: .telemetry, allowedProperties: ["ms", "screen"]
        ).validated(id: "mtr_1", accountId: "acc_1", now: now)
        let one = UsageQuantity(micros: UsageQuantity.scale)
        #expect(try meter.reading(quantity: one, properties: ["ms": .integer(40), "screen": .string("a")]).get()?.value == 40_000_000)
        guard case .failure(let refusal) = meter.reading(quantity: one, properties: ["ms": .integer(40), "email": .string("a@b.c")]) else {
            Issue.record("an undeclared property was taken")
            return
        }
        #expect(refusal.code == .invalidUsageEvent && refusal.message.contains("'email'"))
        #expect(throws: TollgateError.self) {
            try MeterDraft(code: "latency", name: "L", aggregation: .max, property: "ms", kind: .telemetry, allowedProperties: ["screen"])
                .validated(id: "mtr_2", accountId: "acc_1", now: now)
        }
        #expect(throws: TollgateError.self) {
            try MeterDraft(code: "runs", name: "R", aggregation: .count, allowedProperties: ["screen"]).validated(id: "mtr_3", accountId: "acc_1", now: now)
        }
    }
}
