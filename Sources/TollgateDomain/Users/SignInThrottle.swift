import Foundation

/// How many failed sign-ins a user, and an address, may have before sign-ins are refused for a
/// while: ``userFailures`` per user and ``addressFailures`` per address within ``window``. The
/// store counts failures; this decides.
///
/// Both are counted so that one address cannot guess at many users, and many addresses cannot
/// guess at one user. A refused attempt is not checked, so it tells the guesser nothing.
public struct SignInThrottle: Sendable, Equatable {
    public var userFailures: Int
    public var addressFailures: Int
    public var window: TimeInterval

    public init(userFailures: Int = 5, addressFailures: Int = 20, window: TimeInterval = 15 * 60) {
        self.userFailures = userFailures
        self.addressFailures = addressFailures
        self.window = window
    }

    /// Whether a sign-in may be tried, given the failures counted since `now - window`.
    public func allows(userFailures: Int, addressFailures: Int) -> Bool {
        userFailures < self.userFailures && addressFailures < self.addressFailures
    }
}
