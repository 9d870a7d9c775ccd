"""SIGKILL in the middle of a burst of writes: after a restart every write that was answered 2xx
is there, exactly once, with exactly one event in the event log; refused writes left no event.
On SQLite and on PostgreSQL."""
import os
import signal
import threading
import time
import uuid

import pytest

from conftest import Server

DATABASE = os.environ.get("TOLLGATE_TEST_DATABASE_URL")


def all_pages(server, path):
    items, cursor = [], None
    while True:
        status, page = server.json("GET", path + ("&" if "?" in path else "?") + "limit=100" + (f"&cursor={cursor}" if cursor else ""))
        assert status == 200, page
        items += page["data"]
        cursor = page["nextCursor"]
        if not cursor:
            return items


def burst_then_kill(tmp_path, env):
    server = Server(tmp_path / "data", env=env)
    _, product = server.json("POST", "/v1/products", {"code": "crash", "name": "Crash"})
    _, policy = server.json("POST", "/v1/policies", {"productId": product["id"], "name": "Open"})
    _, customer = server.json("POST", "/v1/customers", {"name": "Acme"})
    _, license = server.json("POST", "/v1/licenses", {"policyId": policy["id"], "customerId": customer["id"]})
    acknowledged = {"licenses": [], "machines": []}
    refused = []
    lock = threading.Lock()

    def writer(worker):
        n = 0
        while True:
            n += 1
            marker = f"{worker}-{n}"
            try:
                status, body = server.json("POST", "/v1/licenses", {"policyId": policy["id"], "customerId": customer["id"], "metadata": {"marker": marker}})
                if status == 201:
                    with lock:
                        acknowledged["licenses"].append((body["id"], marker))
                status, body = server.json("POST", "/v1/machines", {"fingerprint": f"fp-{marker}"}, token=None,
                                           headers={"Authorization": f"License {license['key']}"})
                if status == 201:
                    with lock:
                        acknowledged["machines"].append((body["machine"]["id"], f"fp-{marker}"))
                # A change the server refuses (the product code is taken): it must leave no event.
                status, body = server.json("POST", "/v1/products", {"code": "crash", "name": f"Again {marker}"})
                if status == 409:
                    with lock:
                        refused.append(marker)
            except Exception:
                return  # the server is gone

    workers = [threading.Thread(target=writer, args=(w,)) for w in range(8)]
    for worker in workers:
        worker.start()
    time.sleep(1.5)
    server.process.send_signal(signal.SIGKILL)
    server.process.wait()
    for worker in workers:
        worker.join()
    assert len(acknowledged["licenses"]) > 20 and len(acknowledged["machines"]) > 20

    restarted = Server(tmp_path / "data", env=env)
    try:
        licenses = all_pages(restarted, f"/v1/licenses?policyId={policy['id']}")
        markers = [l["metadata"].get("marker") for l in licenses if l["metadata"].get("marker")]
        assert len(markers) == len(set(markers)), "a write was applied twice"
        present = {l["id"] for l in licenses}
        assert all(license_id in present for license_id, _ in acknowledged["licenses"])
        machines = all_pages(restarted, f"/v1/licenses/{license['id']}/machines")
        fingerprints = [m["fingerprint"] for m in machines]
        assert len(fingerprints) == len(set(fingerprints))
        machine_ids = {m["id"] for m in machines}
        assert all(machine_id in machine_ids for machine_id, _ in acknowledged["machines"])
        assert restarted.json("GET", "/v1/audit-events/verify")[1]["valid"] is True
        # One event per change that committed, none for one that did not, none for a refusal.
        assert len(refused) > 20
        events = all_pages(restarted, "/v1/events?type=license.created")
        created = [e["objectId"] for e in events]
        assert len(created) == len(set(created)), "an event was written twice"
        assert set(created) == {l["id"] for l in licenses} | {license["id"]}
        activated = [e["objectId"] for e in all_pages(restarted, "/v1/events?type=machine.activated")]
        assert len(activated) == len(set(activated)) and set(activated) == machine_ids
        assert [e["objectId"] for e in all_pages(restarted, "/v1/events?type=product.created")] == [product["id"]]
        sequences = [e["sequence"] for e in all_pages(restarted, "/v1/events")]
        assert sequences == list(range(1, len(sequences) + 1)), "the log has gaps or repeats"
    finally:
        restarted.stop()


def test_sigkill_loses_no_acknowledged_write_on_sqlite(tmp_path):
    burst_then_kill(tmp_path, {})


@pytest.mark.skipif(not DATABASE, reason="needs PostgreSQL: run through scripts/with-postgres (scripts/test does)")
def test_sigkill_loses_no_acknowledged_write_on_postgresql(tmp_path):
    burst_then_kill(tmp_path, {"TOLLGATE_DATABASE_URL": f"{DATABASE}?schema=k_{uuid.uuid4().hex}"})
