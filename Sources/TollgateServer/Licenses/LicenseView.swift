import Foundation
import TollgateDomain
import TollgateFormats

/// A license as the API shows it: the stored fields plus `status` (at the time of the
/// request, so it includes expiry) and `tier` (the policy's name).
struct LicenseView: Codable, Sendable {
    var license: License
    var status: String
    var tier: String

    init(_ license: License, policy: Policy?, now: Date) {
        self.license = license
        self.status = policy.map { license.status(at: now, policy: $0).name } ?? license.state.rawValue
        self.tier = policy?.name ?? ""
    }

    /// Read back from its stored answer (``ChangeWriter``).
    init(from decoder: any Decoder) throws {
        license = try License(from: decoder)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        status = try container.decode(String.self, forKey: .status)
        tier = try container.decode(String.self, forKey: .tier)
    }

    func encode(to encoder: any Encoder) throws {
        try license.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(status, forKey: .status)
        try container.encode(tier, forKey: .tier)
    }

    enum CodingKeys: String, CodingKey { case status, tier }
}
