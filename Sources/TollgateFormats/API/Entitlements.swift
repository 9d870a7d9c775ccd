/// Feature codes a license grants.
public enum Entitlements {
    /// The wildcard entitlement: grants every feature, including ones added later.
    public static let all = "*"

    /// The codes in `required` that `granted` does not cover.
    public static func missing(_ required: [String], from granted: Set<String>) -> [String] {
        if granted.contains(all) { return [] }
        return required.filter { !granted.contains($0) }
    }
}
