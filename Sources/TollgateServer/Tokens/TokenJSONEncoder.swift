import Foundation
import JWTKit
import Synchronization
import TollgateDomain
import TollgateFormats

/// The JSON encoder jwt-kit signs activation tokens with: ``MachineToken`` claims go through
/// ``JSONWriter`` (every heartbeat signs one), headers are encoded once per key id, and anything
/// else falls back to jwt-kit's own encoder. The output is plain JSON with times in epoch
/// seconds, as RFC 7519 asks; the PyJWT test reads it.
final class TokenJSONEncoder: JWTJSONEncoder {
    private let fallback: any JWTJSONEncoder = .defaultForJWT
    private let headers = Mutex<[String: Data]>([:])

    func encode<T: Encodable>(_ value: T) throws -> Data {
        if let token = value as? MachineToken { return Data(token.json) }
        if let header = value as? JWTHeader, let kid = header.kid, let alg = header.alg, let typ = header.typ, header.fields.count == 3 {
            let key = "\(kid)|\(alg)|\(typ)"
            if let cached = headers.withLock({ $0[key] }) { return cached }
            let encoded = try fallback.encode(header)
            headers.withLock { $0[key] = encoded }
            return encoded
        }
        return try fallback.encode(value)
    }
}

extension MachineToken {
    /// The claims as JSON, times in whole epoch seconds.
    var json: [UInt8] {
        var json = JSONWriter()
        json.object { json in
            json.key("account"); json.string(account)
            json.key("entitlements"); json.array(entitlements) { json, code in json.string(code) }
            json.key("exp"); json.int(Int(exp.value.timeIntervalSince1970))
            json.key("fingerprint"); json.string(fingerprint)
            json.key("iat"); json.int(Int(iat.value.timeIntervalSince1970))
            json.key("iss"); json.string(iss.value)
            json.key("jti"); json.string(jti.value)
            json.key("license"); json.string(license)
            json.key("licenseVersion"); json.int(licenseVersion)
            json.effectiveLimits(EffectiveLimits(values: limits, periods: limitPeriods ?? [:]))
            json.key("machine"); json.string(machine)
            json.key("machineVersion"); json.int(machineVersion)
            json.key("product"); json.string(product)
            json.key("status"); json.string(status)
            json.key("sub"); json.string(sub.value)
            json.key("tier"); json.string(tier)
            if let usage {
                json.key("usage")
                json.object { json in
                    for (code, used) in usage.sorted(by: { $0.key < $1.key }) {
                        json.key(code); json.number(text: "\(used)")
                    }
                }
            }
            json.key("ver"); json.int(ver ?? 1)
        }
        return json.bytes
    }
}
