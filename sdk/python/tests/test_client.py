"""The client against a real `tollgate serve` over loopback."""
import os
import stat
import threading
import time

import pytest

from conftest import Server, free_port
from tollgate import ClientState, FeatureRequired, HeartbeatWorker, TollgateError


def unreachable():
    return f"http://127.0.0.1:{free_port()}"


def activated_then_offline(server, make_client):
    license = server.license()
    online = make_client(license)
    online.activate(license["key"])
    return license, online, make_client(license, storage=online.storage.directory, url=unreachable())


def test_activation_stores_the_token_and_file_and_validates_online(server, make_client, clock):
    license = server.license()
    client = make_client(license)
    assert client.state.kind == "inactive"
    assert client.activate(license["key"]).allows_use
    state = client.validate()
    assert state.kind == "valid" and state.online and abs(state.offline_until - (clock() + 30 * 86_400)) < 5
    for name in ("machine.json", "license-file.lic", "status.json"):
        assert stat.S_IMODE(os.stat(client.storage.directory / name).st_mode) == 0o600, name
    assert stat.S_IMODE(os.stat(client.storage.directory).st_mode) == 0o700
    assert client.is_entitled("core") and not client.is_entitled("sso")
    with pytest.raises(FeatureRequired) as raised:
        client.require("sso")
    assert (raised.value.feature, raised.value.current_tier, raised.value.required_tier) == ("sso", "Professional", "Enterprise")
    assert client.limit("concurrentExecutions") == 10 and client.limit("maxMachines") == 5 and client.limit("nothing") is None
    assert client.limit_period("executionsPerMonth") == "month" and client.limit_period("maxWorkflows") == "none"
    # Upgrade prompts come from the server's tiers of the product, not a table in the SDK.
    assert client.tier_with_more("executionsPerMonth", 100_000) == "Enterprise"
    assert client.tier_with_more("requestsPerSecond", 5_000) is None
    again = make_client(license, storage=client.storage.directory)
    assert again.activation["machineId"] == client.activation["machineId"] and again.is_entitled("core")


def test_offline_it_runs_through_30_days_and_7_days_of_grace_then_fails_closed(server, make_client, clock):
    license, online, offline = activated_then_offline(server, make_client)
    start = clock()
    clock.advance(days=29)
    state = offline.validate()
    assert state.kind == "valid" and not state.online and abs(state.offline_until - (start + 30 * 86_400)) < 5
    clock.advance(days=2)
    grace = offline.validate()
    assert grace.kind == "grace" and grace.allows_use and grace.warning and offline.is_entitled("core")
    clock.advance(days=6)
    assert offline.validate() == ClientState("failed", reason="OFFLINE_TOO_LONG")
    assert not offline.is_entitled("core")
    back = make_client(license, storage=online.storage.directory)
    assert back.validate().allows_use


def test_a_clock_set_back_is_reported_as_tampering(server, make_client, clock):
    _, _, offline = activated_then_offline(server, make_client)
    clock.advance(days=10)
    assert offline.validate().allows_use
    clock.advance(days=-3)
    assert offline.validate() == ClientState("failed", reason="CLOCK_TAMPERED")
    clock.advance(days=3)
    assert offline.validate().allows_use


def test_a_suspension_is_seen_by_the_heartbeat_and_the_handler_is_called(server, make_client):
    license = server.license()
    client = make_client(license)
    client.activate(license["key"])
    seen = []
    called = threading.Event()
    client.on_failure(lambda state: (seen.append(state), called.set()))
    worker = HeartbeatWorker(client, interval=0.3, deactivate_on_shutdown=False).start()
    time.sleep(0.5)
    assert server.admin("POST", f"/v1/licenses/{license['id']}/actions/suspend")[0] == 200
    # The server answers plain beats from a snapshot for up to 2 s; the interval here is 0.3 s.
    assert called.wait(timeout=6)
    assert seen == [ClientState("failed", reason="SUSPENDED")] and not client.is_entitled("core")
    worker._thread.join(timeout=5)
    assert not worker._thread.is_alive()  # it stops at a refusal


def test_backoff_while_the_server_is_down_and_recovery_after(server, make_client, tmp_path):
    license = server.license()
    client = make_client(license)
    client.activate(license["key"])
    port, data = server.port, server.data_dir
    server.stop()
    delays, restarted = [], []

    def sleep(delay):
        delays.append(delay)
        if len(delays) == 5:
            restarted.append(Server(data, port=port))
        return len(delays) == 7

    HeartbeatWorker(client, interval=600, sleep=sleep).run()
    for index, delay in enumerate(delays[:4]):
        assert 2 ** index * 0.5 <= delay <= 2 ** index, (index, delay)
    assert delays[5:] == [600, 600] and client.state.allows_use
    restarted[0].stop()


def test_stopping_the_worker_deactivates_a_floating_machine(server, make_client):
    license = server.license()
    client = make_client(license)
    client.activate(license["key"])
    machine = client.activation["machineId"]
    worker = HeartbeatWorker(client, interval=600).start()
    time.sleep(0.3)
    worker.stop()
    assert client.activation is None and client.state.kind == "inactive"
    assert server.admin("GET", f"/v1/machines/{machine}")[1]["status"] == "deactivated"


def test_an_execution_slot_is_a_lease_that_comes_back(server, make_client):
    license = server.license()  # Professional: 10 concurrent executions
    client = make_client(license)
    client.activate(license["key"])

    def held():
        return len(server.admin("GET", f"/v1/licenses/{license['id']}/leases")[1]["data"])

    release, entered = threading.Event(), threading.Semaphore(0)

    def job():
        with client.execution_slot(holder="job"):
            entered.release()
            release.wait(10)

    threads = [threading.Thread(target=job) for _ in range(10)]
    for thread in threads:
        thread.start()
    for _ in range(10):
        assert entered.acquire(timeout=10)
    assert held() == 10
    with pytest.raises(TollgateError) as raised:
        with client.execution_slot():
            pass
    assert raised.value.code == "CONCURRENCY_LIMIT_EXCEEDED"
    release.set()
    for thread in threads:
        thread.join()
    assert held() == 0
    with pytest.raises(ZeroDivisionError):
        with client.execution_slot():
            1 / 0
    assert held() == 0
