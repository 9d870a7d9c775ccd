/// A string enum whose decoding error names the allowed values, so that a request with
/// an unknown value gets a 422 that says what would have been accepted.
public protocol APIEnum: RawRepresentable<String>, CaseIterable, Codable, Sendable, Hashable {}

extension APIEnum {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let raw = try container.decode(String.self)
        guard let value = Self(rawValue: raw) else {
            let allowed = Self.allCases.map { "'\($0.rawValue)'" }.joined(separator: ", ")
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "Unknown value '\(raw)'; expected one of \(allowed).")
        }
        self = value
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}
