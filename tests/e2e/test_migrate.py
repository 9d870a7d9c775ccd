"""`tollgate migrate` moves a populated SQLite store to PostgreSQL: it shows progress, verifies
(row counts, audit chains), is safe to run again, and a server on PostgreSQL with the exported
keys then serves the same licenses and machines."""
import os
import subprocess
import uuid

import pytest

from conftest import BINARY, Server, issue_license

DATABASE = os.environ.get("TOLLGATE_TEST_DATABASE_URL")
pytestmark = pytest.mark.skipif(not DATABASE, reason="needs PostgreSQL: run through scripts/with-postgres (scripts/test does)")


def test_migrate_moves_a_populated_store_and_verifies_it(tmp_path):
    source = Server(tmp_path / "data")
    licenses = [issue_license(source) for _ in range(3)]
    status, machine = source.json("POST", "/v1/machines", {"fingerprint": "fp-1"}, token=None,
                                  headers={"Authorization": f"License {licenses[0]['key']}"})
    assert status == 201
    source.json("POST", "/v1/licenses/validate", {"key": licenses[1]["key"]}, token=None)
    source.json("POST", f"/v1/licenses/{licenses[2]['id']}/actions/suspend")
    assert source.stop() == 0

    url = f"{DATABASE}?schema=m_{uuid.uuid4().hex}"
    first = subprocess.run([str(BINARY), "migrate", "--from", str(tmp_path / "data"), "--to", url], capture_output=True, text=True, timeout=120)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "licenses: 3 of 3" in first.stdout and "machines: 1 of 1" in first.stdout
    assert "The copy verifies." in first.stdout and "intact" in first.stdout
    again = subprocess.run([str(BINARY), "migrate", "--from", str(tmp_path / "data"), "--to", url], capture_output=True, text=True, timeout=120)
    assert again.returncode == 0 and "The copy verifies." in again.stdout

    # The keys moved with the tables, sealed: the replicas need the data directory's key-encryption key.
    kek = tmp_path / "data" / "key-encryption-key"
    target = Server(tmp_path / "replica", extra_args=["--key-encryption-key-file", str(kek)], env={"TOLLGATE_DATABASE_URL": url})
    try:
        assert target.json("POST", "/v1/licenses/validate", {"key": licenses[0]["key"]}, token=None)[1]["code"] == "VALID"
        assert target.json("POST", "/v1/licenses/validate", {"key": licenses[2]["key"]}, token=None)[1]["code"] == "SUSPENDED"
        _, machines = target.json("GET", f"/v1/licenses/{licenses[0]['id']}/machines")
        assert [m["id"] for m in machines["data"]] == [machine["machine"]["id"]]
        assert target.json("GET", "/v1/audit-events/verify")[1]["valid"] is True
        assert target.json("POST", "/v1/customers", {"name": "after the move"})[0] == 201
    finally:
        target.stop()
    # keys export and import move keys between installations: the exported keys, imported into
    # a fresh SQLite directory (another key-encryption key), verify the migrated licenses there.
    exported = subprocess.run([str(BINARY), "keys", "export", "--database-url", url, "--key-encryption-key-file", str(kek)],
                              capture_output=True, text=True, timeout=60)
    assert exported.returncode == 0, exported.stderr
    fresh = tmp_path / "fresh"
    for _ in range(2):
        imported = subprocess.run([str(BINARY), "keys", "import", "--data-dir", str(fresh)], input=exported.stdout, capture_output=True, text=True, timeout=60)
        assert imported.returncode == 0, imported.stderr
    assert "Imported 0 signing keys." in imported.stdout
    other = Server(fresh)
    try:
        assert other.json("POST", "/v1/licenses/validate", {"key": licenses[0]["key"]}, token=None)[1]["code"] == "NOT_FOUND"
    finally:
        other.stop()
