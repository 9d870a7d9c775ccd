"""Background jobs survive SIGKILL with exactly-once effect: the machine sweep, killed half-way
through 40,000 dead machines, is taken over by the restarted server once its lease runs out and
finishes the rest; every dead machine dies once, with one event and one audit entry."""
import signal
import sqlite3
import sys
import time
from pathlib import Path

from conftest import ROOT, Server

sys.path.insert(0, str(ROOT / "scripts" / "bench"))
import machines_setup  # noqa: E402  (fills the machines table directly, as the sweep benchmark does)

DEAD = 40_000


def scalar(database, query):
    with sqlite3.connect(database, timeout=30) as db:
        return db.execute(query).fetchone()[0]


def test_a_sweep_killed_half_way_finishes_after_restart_and_kills_each_machine_once(tmp_path):
    data = tmp_path / "data"
    database = data / "tollgate.sqlite"
    server = Server(data, env={"TOLLGATE_SWEEP_INTERVAL_SECONDS": "3600"})
    _, product = server.json("POST", "/v1/products", {"code": "sweep", "name": "Sweep"})
    status, policy = server.json("POST", "/v1/policies/presets/enterprise", {"productId": product["id"]})
    assert status == 201, policy
    _, customer = server.json("POST", "/v1/customers", {"name": "Acme"})
    for _ in range(4):
        assert server.json("POST", "/v1/licenses", {"policyId": policy["id"], "customerId": customer["id"]})[0] == 201
    assert server.stop() == 0
    machines_setup.populate(str(database), DEAD, DEAD)

    # A shorter interval brings the next sweep within a second; a short lease lets the next
    # server take over the killed one's claim soon.
    env = {"TOLLGATE_SWEEP_INTERVAL_SECONDS": "1", "TOLLGATE_JOB_POLL_MS": "100", "TOLLGATE_JOB_LEASE_SECONDS": "3"}
    server = Server(data, env=env)
    deactivated = 0
    deadline = time.time() + 60
    while time.time() < deadline:
        deactivated = scalar(database, "SELECT COUNT(*) FROM machines WHERE state = 'deactivated'")
        if deactivated > 0:
            break
        time.sleep(0.01)
    server.process.send_signal(signal.SIGKILL)
    server.process.wait()
    deactivated = scalar(database, "SELECT COUNT(*) FROM machines WHERE state = 'deactivated'")
    assert 0 < deactivated < DEAD, f"the kill should land half-way through the sweep, not at {deactivated}"
    print(f"killed after {deactivated} of {DEAD} machines")
    running = scalar(database, "SELECT state FROM jobs WHERE kind = 'machine-sweep'")
    assert running == "running", "the killed server held the sweep"

    restarted = Server(data, env=env)
    try:
        deadline = time.time() + 120
        while time.time() < deadline and scalar(database, "SELECT COUNT(*) FROM machines WHERE state = 'active'") > 0:
            time.sleep(0.2)
        assert scalar(database, "SELECT COUNT(*) FROM machines WHERE state = 'active'") == 0
        # Exactly once: one event and one audit entry per machine, the log still gap-free and chained.
        died = scalar(database, "SELECT COUNT(*) FROM events WHERE type = 'machine.died'")
        distinct = scalar(database, "SELECT COUNT(DISTINCT object_id) FROM events WHERE type = 'machine.died'")
        assert died == distinct == DEAD
        assert scalar(database, "SELECT COUNT(*) FROM audit_events WHERE action = 'machine.died'") == DEAD
        assert scalar(database, "SELECT MAX(sequence) - COUNT(*) FROM events") == 0
        verification = restarted.json("GET", "/v1/audit-events/verify")[1]
        assert verification["valid"] is True, verification
        # The sweep is a recurring job again, owned by nobody, with its attempts reset.
        with sqlite3.connect(database) as db:
            state, attempts, owner = db.execute("SELECT state, attempts, lease_owner FROM jobs WHERE kind = 'machine-sweep'").fetchone()
        assert (attempts, owner) == (0, None) or state == "running"
        status, _, metrics = restarted.request("GET", "/metrics")
        assert 'tollgate_job_runs_total{kind="machine-sweep"}' in metrics.decode()
    finally:
        restarted.stop()
