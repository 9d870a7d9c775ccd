"""The state machine alone: no server, no files."""
from tollgate._state import DAY, ClientState, ClientStatus, FileCheck, Rules

RULES = Rules()
T0 = 1_800_000_000.0


def online():
    return RULES.confirmed(ClientStatus(), server_time=T0, now=T0, grace_days=30)


def file(issued=T0, **fields):
    return FileCheck(True, issued_at=issued, offline_grace_days=30, **fields)


def test_a_confirmation_is_valid_for_the_offline_grace():
    status = online()
    assert status.state == ClientState("valid", online=True, offline_until=T0 + 30 * DAY)
    assert status.latest_trusted_time == T0


def test_offline_valid_then_grace_then_failed():
    status = online()
    assert RULES.offline(status, T0 + 29 * DAY, file()).state.kind == "valid"
    grace = RULES.offline(status, T0 + 31 * DAY, file()).state
    assert grace == ClientState("grace", ends_at=T0 + 37 * DAY) and grace.allows_use and grace.warning
    assert RULES.offline(status, T0 + 37 * DAY, file()).state == ClientState("failed", reason="OFFLINE_TOO_LONG")


def test_a_clock_set_back_past_the_tolerance_is_tampering_and_recovers_forward():
    status = RULES.offline(online(), T0 + 10 * DAY, file())
    assert RULES.offline(status, T0 + 10 * DAY - 599, file()).state.allows_use
    tampered = RULES.offline(status, T0 + 9 * DAY, file())
    assert tampered.state == ClientState("failed", reason="CLOCK_TAMPERED")
    assert RULES.offline(tampered, T0 + 10 * DAY + 1, file()).state.allows_use


def test_refusals_stick_offline_and_only_the_server_lifts_them():
    failed = RULES.refused(online(), "SUSPENDED")
    assert RULES.offline(failed, T0 + 1, file()).state.reason == "SUSPENDED"
    assert RULES.confirmed(failed, T0 + 2, T0 + 2, 30).state.kind == "valid"


def test_the_file_decides_status_expiry_and_future_issue():
    status = online()
    assert RULES.offline(status, T0 + 1, file(license_status="suspended")).state.reason == "SUSPENDED"
    assert RULES.offline(status, T0 + 10, file(license_expires_at=T0 + 5)).state.reason == "EXPIRED"
    assert RULES.offline(status, T0, FileCheck(False, code="ISSUED_IN_FUTURE")).state.reason == "CLOCK_TAMPERED"
    assert RULES.offline(status, T0, FileCheck(False, code="BAD_SIGNATURE")).state.reason == "BAD_SIGNATURE"


def test_an_edited_last_online_time_cannot_extend_the_window():
    forged = ClientStatus(ClientState("valid", online=True, offline_until=T0), last_online_at=T0 + 300 * DAY, latest_trusted_time=T0)
    assert RULES.offline(forged, T0 + 32 * DAY, file()).state.kind == "grace"


def test_inactive_stays_inactive_and_deactivation_keeps_the_trusted_time():
    assert RULES.offline(ClientStatus(), T0, file()).state.kind == "inactive"
    assert RULES.deactivated(online()) == ClientStatus(latest_trusted_time=T0)
