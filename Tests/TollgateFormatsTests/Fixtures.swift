import Foundation

enum Fixtures {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)
    static let accountId = "acc_01JD0000000000000000000000"
}
