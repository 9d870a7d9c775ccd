import TollgateDomain
import TollgateStore

/// The API's rate limits (README, "Rate limits"), kept in this process's memory:
/// - each API token: its account's `apiRequestsPerMinute`;
/// - each license key (in `Authorization: License …` or a validation's body) and each machine
///   token: its policy's `apiRequestsPerMinute`, when the policy has one;
/// - each client address: `TOLLGATE_FAILED_ATTEMPTS_PER_MINUTE` failed validations and
///   license-key authentications, after which its key-checking requests get 429 until it may
///   fail again (this slows key guessing; sign-ins have their own throttle, ``SignInThrottle``).
struct RateLimits: Sendable {
    let enabled: Bool
    let failureLimit: RateLimit
    let tokens = RateLimiter()
    let licenses = RateLimiter()
    let machines = RateLimiter()
    let failures = RateLimiter()
    /// The quota of an account's tokens (`a:<id>`) and of a license's keys and machines
    /// (`l:<id>`): kept while the account writes nothing, at most 2 s.
    private let quotas = SnapshotCache<Quota>()

    struct Quota: Sendable {
        var perMinute: Int?
    }

    init(configuration: ServerConfiguration) {
        enabled = configuration.rateLimitsEnabled
        failureLimit = RateLimit(limit: configuration.failedAttemptsPerMinute)
    }

    /// Takes one request of `key` from `limiter` at `perMinute`; refuses with 429
    /// `RATE_LIMITED` and the headers when none is left.
    func take(_ limiter: RateLimiter, _ key: String, perMinute: Int, what: String) throws -> RateLimit.Decision {
        let decision = limiter.take(key, RateLimit(limit: perMinute))
        guard decision.allowed else {
            throw ErrorWithHeaders(
                error: TollgateError.throttled(
                    code: RequestCode.rateLimited, message: "This \(what) may make \(perMinute) requests per minute; try again in \(decision.retryAfter) s.",
                    retryAfter: decision.retryAfter),
                headers: decision.headers)
        }
        return decision
    }

    /// Refuses a key-checking request from `address` once it has failed too often.
    func checkFailures(address: String?) throws {
        guard enabled, let address, let wait = failures.wait(ClientAddress.limitKey(address), failureLimit) else { return }
        throw TollgateError.throttled(
            code: RequestCode.rateLimited,
            message: "Too many failed license checks from this address (\(failureLimit.limit) a minute); try again in \(wait) s.", retryAfter: wait)
    }

    /// Counts a failed validation or license-key authentication against `address`.
    func noteFailure(address: String?) {
        guard enabled, let address else { return }
        _ = failures.take(ClientAddress.limitKey(address), failureLimit)
    }

    /// Requests per minute for each API token of `accountId`.
    func tokenQuota(accountId: String, store: Store) async throws -> Int {
        let quota = try await quotas.value("a:\(accountId)", generation: store.generation.current(accountId: accountId)) {
            Quota(perMinute: try await store.read { try await $0.accounts.find(id: accountId) }?.apiRequestsPerMinute)
        }
        return quota?.perMinute ?? Account.defaultAPIRequestsPerMinute
    }

    /// Requests per minute for the keys and machines of `licenseId` (its policy's), if any.
    func licenseQuota(licenseId: String, accountId: String, store: Store) async throws -> Int? {
        let quota = try await quotas.value("l:\(licenseId)", generation: store.generation.current(accountId: accountId)) {
            try await store.read { session -> Quota in
                guard let license = try await session.licenses.find(id: licenseId, accountId: accountId),
                    let policy = try await session.policies.find(id: license.policyId, accountId: accountId)
                else { return Quota(perMinute: nil) }
                return Quota(perMinute: policy.apiRequestsPerMinute)
            }
        }
        return quota?.perMinute
    }
}
