"""Process behaviour: graceful shutdown under load, JSON logs, the key-encryption key file."""
import base64
import json
import signal
import sqlite3
import stat
import threading
import urllib.error
import urllib.request

from conftest import Server, issue_license


def test_sigterm_finishes_in_flight_requests_and_keeps_every_logged_validation(tmp_path):
    server = Server(tmp_path / "data", extra_args=["--log-format", "json"])
    license = issue_license(server)
    body = json.dumps({"key": license["key"]}).encode()
    answered, failures, stop = [], [], threading.Event()

    def hammer():
        while not stop.is_set():
            request = urllib.request.Request(server.url + "/v1/licenses/validate", data=body, method="POST")
            try:
                with urllib.request.urlopen(request, timeout=10) as response:
                    payload = json.loads(response.read())
                    answered.append(payload["code"])
            except urllib.error.HTTPError as error:
                failures.append(error.code)
            except OSError:
                return  # the listener closed: the server is going away

    threads = [threading.Thread(target=hammer) for _ in range(8)]
    for thread in threads:
        thread.start()
    while len(answered) < 200 and not failures:
        stop.wait(0.01)
    assert server.stop(signal.SIGTERM) == 0
    stop.set()
    for thread in threads:
        thread.join(timeout=10)
    assert failures == [], failures
    assert set(answered) == {"VALID"}
    with sqlite3.connect(tmp_path / "data" / "tollgate.sqlite") as db:
        logged = db.execute("SELECT COUNT(*) FROM validation_events WHERE code = 'VALID'").fetchone()[0]
    assert logged == len(answered)
    lines = [line for line in server.read_stderr().splitlines() if line.strip()]
    assert lines and all(json.loads(line)["level"] for line in lines)


def test_the_generated_key_encryption_key_is_mode_0600_and_no_key_is_a_file(server):
    # The signing keys are sealed in the database; what seals them is the one secret file.
    kek = server.data_dir / "key-encryption-key"
    assert stat.S_IMODE(kek.stat().st_mode) == 0o600
    assert len(base64.b64decode(kek.read_text().strip())) == 32
    assert not (server.data_dir / "keys").exists()
