import HummingbirdBcrypt
import NIOPosix

/// bcrypt (hummingbird-auth's `HummingbirdBcrypt`) off the concurrency pool: a hash at the default
/// cost takes a fifth of a second of CPU, which would stall other requests' tasks on the pool's
/// few threads; NIO's blocking thread pool takes it instead.
enum PasswordHasher {
    /// bcrypt's cost: 2^12 rounds.
    static let cost: UInt8 = 12

    static func hash(_ password: String) async throws -> String {
        try await NIOThreadPool.singleton.runIfActive { Bcrypt.hash(password, cost: cost) }
    }

    static func verify(_ password: String, hash: String) async throws -> Bool {
        try await NIOThreadPool.singleton.runIfActive { Bcrypt.verify(password, hash: hash) }
    }

    /// A hash of a password nobody has, checked when no user has the email given, so that a
    /// sign-in takes as long for an unknown address as for a known one.
    static let decoy = Bcrypt.hash("decoy password that is never anyone's", cost: cost)
}
