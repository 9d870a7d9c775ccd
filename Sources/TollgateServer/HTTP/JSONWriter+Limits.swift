import TollgateDomain
import TollgateFormats

extension JSONWriter {
    /// Effective limits as two members, `limitPeriods` (code → period, for limits that reset)
    /// and `limits` (code → number or `"unlimited"`), keys sorted.
    mutating func effectiveLimits(_ limits: EffectiveLimits) {
        key("limitPeriods")
        object { json in
            for (code, period) in limits.sortedPeriods {
                json.key(code); json.string(period.rawValue)
            }
        }
        key("limits")
        object { json in
            for (code, value) in limits.sortedValues {
                json.key(code)
                switch value {
                case .limited(let number): json.int(number)
                case .unlimited: json.string("unlimited")
                }
            }
        }
    }
}
