"""Starts real `tollgate serve` processes on free loopback ports for the end-to-end tests."""
import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# TOLLGATE_BINARY runs the tests against another build (the release binary, for the timings they print).
BINARY = Path(os.environ.get("TOLLGATE_BINARY") or ROOT / ".build" / "debug" / "tollgate")
ADMIN_TOKEN = "tga_e2e-admin-token-0123456789"


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    def __init__(self, data_dir, extra_args=(), env=None, wait=True):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.data_dir = Path(data_dir)
        environment = dict(os.environ, TOLLGATE_ADMIN_TOKEN=ADMIN_TOKEN, TOLLGATE_LOG_FLUSH_MS="200")
        environment.update(env or {})
        self.stdout = open(self.data_dir.parent / f"server-{self.port}.out", "w+")
        self.stderr = open(self.data_dir.parent / f"server-{self.port}.err", "w+")
        self.process = subprocess.Popen(
            [str(BINARY), "serve", "--port", str(self.port), "--data-dir", str(self.data_dir), *extra_args],
            stdout=self.stdout, stderr=self.stderr, env=environment)
        if wait:
            self.wait_ready()

    def wait_ready(self):
        """Returns once /healthz answers; raises with the server's stderr if it never does."""
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                if self.request("GET", "/healthz")[0] == 200:
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("server did not start: " + self.read_stderr())

    def request(self, method, path, body=None, token=ADMIN_TOKEN, headers=None, raw=None):
        """(status, headers, body bytes); ``raw`` sends these exact bytes (with JSON's content type) instead of ``body``."""
        data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
        request = urllib.request.Request(self.url + path, data=data, method=method)
        if token:
            request.add_header("Authorization", f"Bearer {token}")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        for name, value in (headers or {}).items():
            request.add_header(name, value)
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read()

    def json(self, method, path, body=None, **kwargs):
        status, _, raw = self.request(method, path, body, **kwargs)
        return status, json.loads(raw)

    def stop(self, sig=signal.SIGTERM, timeout=20):
        if self.process.poll() is None:
            self.process.send_signal(sig)
            self.process.wait(timeout=timeout)
        return self.process.returncode

    def read_stdout(self):
        self.stdout.flush()
        return (self.data_dir.parent / f"server-{self.port}.out").read_text()

    def read_stderr(self):
        self.stderr.flush()
        return (self.data_dir.parent / f"server-{self.port}.err").read_text()


@pytest.fixture
def server(tmp_path):
    running = Server(tmp_path / "data")
    yield running
    running.stop()


def issue_license(server, preset="professional", all_tiers=False):
    """A product, a preset policy (with ``all_tiers``, the three presets cheapest first, as the
    SDKs' upgrade prompts read them), a customer and a license; returns the license object."""
    _, product = server.json("POST", "/v1/products", {"code": f"p{time.time_ns()}", "name": "Engine"})
    names = ["community", "professional", "enterprise"] if all_tiers else [preset]
    policies = {name: server.json("POST", f"/v1/policies/presets/{name}", {"productId": product["id"]})[1] for name in names}
    policy = policies[preset]
    _, customer = server.json("POST", "/v1/customers", {"name": "Acme"})
    status, license = server.json("POST", "/v1/licenses", {"policyId": policy["id"], "customerId": customer["id"]})
    assert status == 201, license
    return license


class TempPostgres:
    """A PostgreSQL server of its own in a temporary directory, for tests that stop and start it."""

    def __init__(self):
        import glob
        import tempfile
        bins = sorted(glob.glob("/usr/lib/postgresql/*/bin"))
        if not bins:
            raise RuntimeError("PostgreSQL is not installed (scripts/with-postgres installs it)")
        self.bin = Path(bins[-1])
        # Under /tmp itself: the `postgres` user cannot enter pytest's private folders.
        self.directory = Path(tempfile.mkdtemp(prefix="tollgate-pg-"))
        self.port = free_port()
        self.run_as = []
        if os.geteuid() == 0:
            subprocess.run(["chown", "-R", "postgres", str(self.directory)], check=True)
            self.run_as = ["runuser", "-u", "postgres", "--"]
        subprocess.run([*self.run_as, str(self.bin / "initdb"), "-D", str(self.directory / "data"), "-A", "trust", "-U", "tollgate", "--no-sync"],
                       check=True, capture_output=True)
        self.start()
        subprocess.run([str(self.bin / "psql"), "-q", "-h", "127.0.0.1", "-p", str(self.port), "-U", "tollgate", "-d", "postgres",
                        "-c", "CREATE DATABASE tollgate"], check=True, capture_output=True)
        self.url = f"postgres://tollgate@127.0.0.1:{self.port}/tollgate"

    def start(self):
        subprocess.run([*self.run_as, str(self.bin / "pg_ctl"), "-D", str(self.directory / "data"), "-l", str(self.directory / "log"), "-w",
                        "-o", f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 -c fsync=off", "start"],
                       check=True, capture_output=True)

    def stop(self, mode="fast"):
        subprocess.run([*self.run_as, str(self.bin / "pg_ctl"), "-D", str(self.directory / "data"), "-m", mode, "-w", "stop"],
                       capture_output=True)

    def remove(self):
        import shutil
        self.stop(mode="immediate")
        shutil.rmtree(self.directory, ignore_errors=True)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Keeps each phase's report on the test, for fixtures that act on failure (screenshots)."""
    outcome = yield
    setattr(item, "report_" + call.when, outcome.get_result())
