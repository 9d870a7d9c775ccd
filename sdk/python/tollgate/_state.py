"""The client's states and their transition function: pure, no I/O, no clock of its own
(the same rules as the Swift SDK's ClientStateMachine)."""
from dataclasses import dataclass, field, replace
from typing import Optional

DAY = 86_400.0

#: Server codes that name a failure reason.
_SERVER_REASONS = {
    "SUSPENDED": "SUSPENDED", "REVOKED": "REVOKED", "EXPIRED": "EXPIRED",
    "MACHINE_DEACTIVATED": "DEACTIVATED", "NO_MACHINE": "DEACTIVATED", "NOT_FOUND": "DEACTIVATED",
    "TOKEN_REVOKED": "DEACTIVATED", "DEACTIVATED": "DEACTIVATED",
}


def reason_for(server_code: str) -> Optional[str]:
    """The failure reason of a server's refusal code, if it names one."""
    return _SERVER_REASONS.get(server_code)


@dataclass(frozen=True)
class ClientState:
    """``kind`` is ``inactive``, ``valid``, ``grace`` or ``failed``.

    - valid: ``online`` and ``offline_until`` (Unix seconds) say until when it stays valid offline.
    - grace: ``ends_at``; the app should warn (``warning``).
    - failed: ``reason`` (SUSPENDED, REVOKED, EXPIRED, DEACTIVATED, OFFLINE_TOO_LONG,
      CLOCK_TAMPERED, or a file check's or the server's code).
    """
    kind: str = "inactive"
    online: bool = False
    offline_until: Optional[float] = None
    ends_at: Optional[float] = None
    reason: Optional[str] = None

    @property
    def allows_use(self) -> bool:
        return self.kind in ("valid", "grace")

    @property
    def warning(self) -> Optional[str]:
        if self.kind == "grace":
            return "The license could not be checked with the server; it stops working when the grace period ends."
        if self.kind == "failed":
            return f"The license is not usable ({self.reason})."
        return None


@dataclass(frozen=True)
class ClientStatus:
    state: ClientState = field(default_factory=ClientState)
    last_online_at: Optional[float] = None
    latest_trusted_time: Optional[float] = None
    offline_grace_days: int = 30


@dataclass(frozen=True)
class FileCheck:
    """What the stored signed file says at a check: ``verified`` (with its times and the
    license's status), or ``refused`` with a ``code`` (ISSUED_IN_FUTURE, FILE_EXPIRED, MISSING, …)."""
    verified: bool
    code: Optional[str] = None
    issued_at: float = 0
    offline_grace_days: int = 30
    license_status: str = "active"
    license_expires_at: Optional[float] = None


@dataclass(frozen=True)
class Rules:
    #: How far the clock may run behind the latest trusted time.
    clock_tolerance: float = 600
    #: How long the grace state lasts after the offline window.
    extra_grace_days: int = 7
    #: The offline window never starts later than the file's issue time plus this.
    refresh_age: float = DAY

    def confirmed(self, status: ClientStatus, server_time: float, now: float, grace_days: int) -> ClientStatus:
        trusted = max(t for t in (status.latest_trusted_time, server_time, now) if t is not None)
        return ClientStatus(ClientState("valid", online=True, offline_until=now + grace_days * DAY),
                            last_online_at=now, latest_trusted_time=trusted, offline_grace_days=grace_days)

    def refused(self, status: ClientStatus, reason: str) -> ClientStatus:
        return replace(status, state=ClientState("failed", reason=reason))

    def deactivated(self, status: ClientStatus) -> ClientStatus:
        return ClientStatus(latest_trusted_time=status.latest_trusted_time)

    def offline(self, status: ClientStatus, now: float, file: FileCheck) -> ClientStatus:
        state = status.state
        if state.kind == "inactive" or (state.kind == "failed" and state.reason not in ("OFFLINE_TOO_LONG", "CLOCK_TAMPERED")):
            return status

        def fail(reason, trusted=status.latest_trusted_time):
            return replace(status, state=ClientState("failed", reason=reason), latest_trusted_time=trusted)

        if not file.verified:
            return fail({"ISSUED_IN_FUTURE": "CLOCK_TAMPERED", "FILE_EXPIRED": "OFFLINE_TOO_LONG"}.get(file.code, file.code))
        latest = max(t for t in (status.latest_trusted_time, file.issued_at) if t is not None)
        if now < latest - self.clock_tolerance:
            return fail("CLOCK_TAMPERED")
        trusted = max(latest, now)
        reason = reason_for(file.license_status.upper())
        if reason:
            return fail(reason, trusted)
        if file.license_expires_at is not None and now >= file.license_expires_at:
            return fail("EXPIRED", trusted)
        start = min(status.last_online_at if status.last_online_at is not None else file.issued_at,
                    file.issued_at + self.refresh_age)
        offline_until = start + file.offline_grace_days * DAY
        if now < offline_until:
            return replace(status, state=ClientState("valid", online=False, offline_until=offline_until), latest_trusted_time=trusted)
        grace_ends = offline_until + self.extra_grace_days * DAY
        if now < grace_ends:
            return replace(status, state=ClientState("grace", ends_at=grace_ends), latest_trusted_time=trusted)
        return fail("OFFLINE_TOO_LONG", trusted)
