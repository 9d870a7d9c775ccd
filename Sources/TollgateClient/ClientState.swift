import Foundation

/// What the client knows of its license, as the app sees it. ``ClientStateMachine`` is the only
/// place that moves it.
public enum ClientState: Sendable, Equatable, Codable {
    /// Not activated on this machine.
    case inactive
    /// Valid: confirmed by the server (`online`) or by the stored signed file within the offline
    /// window, which ends at `offlineUntil` (the last online check plus the policy's offline grace).
    case valid(online: Bool, offlineUntil: Date)
    /// Offline past the policy's offline grace: the app keeps running until `endsAt` (7 more days by
    /// default) and should show ``warning``.
    case grace(endsAt: Date)
    /// Fail closed.
    case failed(FailureReason)

    /// Whether the app may run: valid or in grace.
    public var allowsUse: Bool {
        switch self {
        case .valid, .grace: true
        case .inactive, .failed: false
        }
    }

    /// A sentence the app can show while in grace or failed; `nil` otherwise.
    public var warning: String? {
        switch self {
        case .grace(let endsAt):
            "The license could not be checked with the server for too long. Connect to the internet before \(endsAt.formatted(.iso8601)) to keep using the app."
        case .failed(let reason): reason.message
        case .inactive, .valid: nil
        }
    }
}

/// Why the client failed closed.
public enum FailureReason: Sendable, Equatable, Codable {
    case suspended
    case revoked
    case expired
    /// The machine was deactivated (by an admin, the dead-machine sweep, or another process).
    case deactivated
    /// Offline past the offline grace and the extra grace.
    case offlineTooLong
    /// The system clock is behind the latest trusted time by more than the tolerance.
    case clockTampered
    /// The stored license file does not verify (the code of the failed check).
    case invalidLicenseFile(String)
    /// The server refused for another reason (its code: `PRODUCT_SCOPE_MISMATCH`, …).
    case refusedByServer(String)

    /// A stable code: `SUSPENDED`, `REVOKED`, `EXPIRED`, `DEACTIVATED`, `OFFLINE_TOO_LONG`,
    /// `CLOCK_TAMPERED`, or the file check's or server's own code.
    public var code: String {
        switch self {
        case .suspended: "SUSPENDED"
        case .revoked: "REVOKED"
        case .expired: "EXPIRED"
        case .deactivated: "DEACTIVATED"
        case .offlineTooLong: "OFFLINE_TOO_LONG"
        case .clockTampered: "CLOCK_TAMPERED"
        case .invalidLicenseFile(let code), .refusedByServer(let code): code
        }
    }

    /// The reason for a server's refusal code (`SUSPENDED`, `TOKEN_REVOKED`, …), if it is one.
    public init?(serverCode code: String) {
        switch code {
        case "SUSPENDED": self = .suspended
        case "REVOKED": self = .revoked
        case "EXPIRED": self = .expired
        case "MACHINE_DEACTIVATED", "NO_MACHINE", "NOT_FOUND", "TOKEN_REVOKED": self = .deactivated
        default: return nil
        }
    }

    public var message: String {
        switch self {
        case .suspended: "The license is suspended."
        case .revoked: "The license was revoked."
        case .expired: "The license has expired."
        case .deactivated: "This machine is no longer activated for the license."
        case .offlineTooLong: "The license could not be checked with the server for too long."
        case .clockTampered: "The system clock is earlier than a time this app has already seen."
        case .invalidLicenseFile(let code): "The stored license file is not valid (\(code))."
        case .refusedByServer(let code): "The server refused the license (\(code))."
        }
    }
}

/// What happened, as the state machine sees it.
public enum ClientEvent: Sendable, Equatable {
    /// The server confirmed the license (activation, validation or heartbeat) at `serverTime`;
    /// `now` is the system clock then.
    case confirmed(serverTime: Date, now: Date, offlineGraceDays: Int)
    /// The server refused the license or the machine.
    case refused(FailureReason)
    /// No trustworthy answer from the server: judge from the stored file at `now`.
    case offline(now: Date, file: OfflineFileCheck)
    /// The machine was deactivated by this app (graceful shutdown).
    case deactivated
}

/// What the stored signed file says at a check: its signature and machine verified, or why not.
public enum OfflineFileCheck: Sendable, Equatable {
    case verified(issuedAt: Date, offlineGraceDays: Int, licenseStatus: String, licenseExpiresAt: Date?)
    case refused(String)
    /// Issued (by the server's clock) after the system clock's now: the clock was set back.
    case issuedInFuture
    /// Past its own lifetime (the offline grace and the extra grace since it was checked out).
    case expired
    case missing
}

/// The client's persistent view: its state and the times it judges by.
public struct ClientStatus: Sendable, Equatable, Codable {
    public var state: ClientState
    /// The last time the server confirmed the license (system clock).
    public var lastOnlineAt: Date?
    /// The latest time this client has trusted: server times and system clock readings that
    /// were not behind it. A system clock earlier than this by more than the tolerance is tampering.
    public var latestTrustedTime: Date?
    public var offlineGraceDays: Int

    public init(state: ClientState = .inactive, lastOnlineAt: Date? = nil, latestTrustedTime: Date? = nil, offlineGraceDays: Int = 30) {
        self.state = state
        self.lastOnlineAt = lastOnlineAt
        self.latestTrustedTime = latestTrustedTime
        self.offlineGraceDays = offlineGraceDays
    }
}

/// The rules for moving a ``ClientStatus``: pure, no I/O, no clock of its own.
public struct ClientStateMachine: Sendable {
    /// How far the system clock may run behind the latest trusted time (NTP steps, DST mistakes).
    public var clockTolerance: TimeInterval = 600
    /// How long the grace state lasts after the offline grace.
    public var extraGraceDays = 7
    /// How much older than its last online check a stored file may be (the client refreshes the
    /// file at most this often); the window never starts later than the file's signed issue time plus this.
    public var refreshAge: TimeInterval = 86_400

    public init() {}

    public func apply(_ event: ClientEvent, to status: ClientStatus) -> ClientStatus {
        var next = status
        switch event {
        case .confirmed(let serverTime, let now, let graceDays):
            next.lastOnlineAt = now
            next.offlineGraceDays = graceDays
            next.latestTrustedTime = [status.latestTrustedTime, serverTime, now].compactMap { $0 }.max()
            next.state = .valid(online: true, offlineUntil: now.addingTimeInterval(Double(graceDays) * 86_400))
        case .refused(let reason):
            next.state = .failed(reason)
        case .deactivated:
            next = ClientStatus(latestTrustedTime: status.latestTrustedTime)
        case .offline(let now, let file):
            next.state = offlineState(status: status, now: now, file: file, trusted: &next.latestTrustedTime)
        }
        return next
    }

    private func offlineState(status: ClientStatus, now: Date, file: OfflineFileCheck, trusted: inout Date?) -> ClientState {
        switch status.state {
        case .inactive: return .inactive
        case .failed(let reason) where reason != .offlineTooLong && reason != .clockTampered: return status.state
        default: break
        }
        let issuedAt: Date, graceDays: Int, licenseStatus: String, licenseExpiresAt: Date?
        switch file {
        case .verified(let issued, let days, let status, let expires): (issuedAt, graceDays, licenseStatus, licenseExpiresAt) = (issued, days, status, expires)
        case .issuedInFuture: return .failed(.clockTampered)
        case .expired: return .failed(.offlineTooLong)
        case .refused(let code): return .failed(.invalidLicenseFile(code))
        case .missing: return .failed(.invalidLicenseFile("MISSING"))
        }
        let latest = [trusted, issuedAt].compactMap { $0 }.max()!
        if now < latest.addingTimeInterval(-clockTolerance) { return .failed(.clockTampered) }
        trusted = max(latest, now)
        if let reason = FailureReason(serverCode: licenseStatus.uppercased()) { return .failed(reason) }
        if let licenseExpiresAt, now >= licenseExpiresAt { return .failed(.expired) }
        // The window starts at the last online check, but never later than the signed file allows.
        let start = min(status.lastOnlineAt ?? issuedAt, issuedAt.addingTimeInterval(refreshAge))
        let offlineUntil = start.addingTimeInterval(Double(graceDays) * 86_400)
        if now < offlineUntil { return .valid(online: false, offlineUntil: offlineUntil) }
        let graceEnds = offlineUntil.addingTimeInterval(Double(extraGraceDays) * 86_400)
        if now < graceEnds { return .grace(endsAt: graceEnds) }
        return .failed(.offlineTooLong)
    }
}
