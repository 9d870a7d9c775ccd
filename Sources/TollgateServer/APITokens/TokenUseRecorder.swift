import Foundation
import Synchronization
import TollgateDomain
import TollgateStore

/// When each API token was last used, for `GET /v1/tokens`: written at most once a minute per
/// token and process, off the request, in a log write that moves no cache's generation
/// (``Store/appendToLog(_:)``). A write that fails is dropped: the time is a hint, and the next
/// minute writes it again.
final class TokenUseRecorder: Sendable {
    private let written = Mutex<[String: Date]>([:])
    static let resolution: TimeInterval = 60

    /// Notes that `token` authenticated a request at `now`.
    func note(_ token: APIToken, store: Store, now: Date) {
        let due = written.withLock { written -> Bool in
            if let last = written[token.id], now.timeIntervalSince(last) < Self.resolution { return false }
            if written.count >= 10_000 { written.removeAll(keepingCapacity: true) }
            written[token.id] = now
            return true
        }
        guard due else { return }
        let id = token.id
        Task { try? await store.appendToLog { try await $0.tokens.touch(ids: [id], at: now) } }
    }
}
