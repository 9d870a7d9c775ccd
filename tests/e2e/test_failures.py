"""The database goes away under load: requests that need it answer 503 with Retry-After (never a
wrong answer, never a 500), /readyz goes red, and the server recovers by itself when the database
comes back, without a restart."""
import errno
import json
import os
import subprocess
import threading
import time

import pytest

from conftest import Server, TempPostgres, issue_license


def readiness_becomes(server, wanted, within=30):
    """Polls /readyz until it answers `wanted`; asserts it did (503 with Retry-After)."""
    deadline = time.time() + within
    while time.time() < deadline and server.request("GET", "/readyz")[0] != wanted:
        time.sleep(0.2)
    answer = server.request("GET", "/readyz")
    assert answer[0] == wanted and (wanted == 200 or answer[1].get("Retry-After")), answer


def finish(stop, workers, statuses, retry_afters):
    """Stops the load; every answer was a success or a 503 with Retry-After, and some were 503."""
    stop.set()
    for worker in workers:
        worker.join()
    assert set(statuses) <= {200, 201, 503}, sorted(set(statuses))
    assert 503 in statuses and retry_afters and all(retry_afters)


def test_postgresql_stopped_under_load_answers_503_and_recovers(tmp_path):
    database = TempPostgres()
    server = Server(tmp_path / "data", env={"TOLLGATE_DATABASE_URL": database.url})
    try:
        assert server.request("GET", "/readyz")[0] == 200
        statuses, retry_afters, stop = [], [], threading.Event()

        def load():
            n = 0
            while not stop.is_set():
                n += 1
                status, headers, _ = server.request("POST", "/v1/customers", {"name": f"c{n}"})
                statuses.append(status)
                if status == 503:
                    retry_afters.append(headers.get("Retry-After"))
                status, _, _ = server.request("GET", "/v1/products")
                statuses.append(status)

        workers = [threading.Thread(target=load) for _ in range(4)]
        for worker in workers:
            worker.start()
        time.sleep(1)
        database.stop(mode="immediate")
        time.sleep(2)
        readiness_becomes(server, 503, within=0)
        database.start()
        readiness_becomes(server, 200)
        time.sleep(1)
        finish(stop, workers, statuses, retry_afters)
        # Recovered: writes succeed again without a restart.
        assert server.request("POST", "/v1/customers", {"name": "after"})[0] == 201
        assert server.process.poll() is None
    finally:
        server.stop()
        database.remove()


@pytest.fixture
def small_disk(tmp_path):
    """A 32 MiB tmpfs of its own (needs root, as in CI), so that the test can fill it."""
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root (CI runs as root)")
    mount = tmp_path / "disk"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=32m", "tmpfs", str(mount)], check=True)
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(directory):
    """Writes a file until the disk is full; returns its path."""
    filler = directory / "filler"
    with open(filler, "wb") as handle:
        try:
            while True:
                handle.write(b"\0" * (1 << 20))
                handle.flush()
        except OSError as error:
            assert error.errno == errno.ENOSPC, error
    return filler


def test_sqlite_that_cannot_be_written_answers_503_and_recovers(tmp_path, small_disk):
    """SQLite's file stops taking writes under load. A file the server holds open cannot be made
    read-only from outside on Linux (mode bits are checked at open, and remounting read-only answers
    EBUSY while a file is open for writing), so the file system is filled instead: the kernel then
    refuses the writes (ENOSPC), as a read-only file system would (EROFS); SQLite reports both as
    errors that answer 503. Reads, validations among them, go on answering."""
    server = Server(small_disk / "data")
    try:
        license = issue_license(server)
        _, product = server.json("POST", "/v1/products", {"code": "disk", "name": "Disk"})
        _, policy = server.json("POST", "/v1/policies", {"productId": product["id"], "name": "Plain"})
        _, customer = server.json("POST", "/v1/customers", {"name": "Acme"})
        created, statuses, retry_afters, validations, stop = [], [], [], [], threading.Event()

        def load():
            while not stop.is_set():
                status, headers, raw = server.request("POST", "/v1/licenses", {"policyId": policy["id"], "customerId": customer["id"]})
                statuses.append(status)
                if status == 201:
                    created.append(json.loads(raw)["id"])
                if status == 503:
                    retry_afters.append(headers.get("Retry-After"))
                status, _, raw = server.request("POST", "/v1/licenses/validate", {"key": license["key"]}, token=None)
                statuses.append(status)
                validations.append((time.monotonic(), status, status == 200 and json.loads(raw)["code"]))

        workers = [threading.Thread(target=load) for _ in range(4)]
        for worker in workers:
            worker.start()
        time.sleep(1)
        filler = fill(small_disk)
        full_at = time.monotonic()
        readiness_becomes(server, 503)
        time.sleep(1)
        filler.unlink()
        readiness_becomes(server, 200)
        time.sleep(1)
        finish(stop, workers, statuses, retry_afters)
        # Validations only read: they went on answering VALID while the disk was full.
        assert [code for at, status, code in validations if at > full_at + 1 and status == 200].count("VALID") > 0
        assert all(code == "VALID" for _, status, code in validations if status == 200)
        # Recovered without a restart; every answered write is there once, the audit chain holds.
        assert server.request("POST", "/v1/licenses", {"policyId": policy["id"], "customerId": customer["id"]})[0] == 201
        for license_id in created:
            assert server.request("GET", f"/v1/licenses/{license_id}")[0] == 200
        assert server.json("GET", "/v1/audit-events/verify")[1]["valid"] is True
        assert server.process.poll() is None
    finally:
        server.stop()
