import Foundation
import Synchronization
import TollgateFormats

/// The source of "now" for every component that reads time.
///
/// Production code uses ``SystemClock``; tests use ``ManualClock`` and move time
/// instead of sleeping.
public protocol TollgateClock: Sendable {
    /// The current instant.
    func now() -> Date
}

/// The wall clock.
public struct SystemClock: TollgateClock {
    public init() {}
    public func now() -> Date { Date() }
}

/// A clock that only moves when told to. Thread-safe.
///
/// ```swift
/// let clock = ManualClock(Date(timeIntervalSince1970: 1_800_000_000))
/// clock.advance(days: 31)
/// ```
public final class ManualClock: TollgateClock {
    private let current: Mutex<Date>

    public init(_ start: Date = Date(timeIntervalSince1970: 1_800_000_000)) {
        current = Mutex(start)
    }

    public func now() -> Date { current.withLock { $0 } }

    /// Moves the clock forward (or backward, with a negative interval).
    public func advance(by seconds: TimeInterval) {
        current.withLock { $0 = $0.addingTimeInterval(seconds) }
    }

    /// Moves the clock forward by whole days.
    public func advance(days: Int) { advance(by: TimeInterval(days) * 86_400) }

    /// Sets the clock to an instant.
    public func set(_ date: Date) { current.withLock { $0 = date } }
}
