"""A real `tollgate serve` on a free loopback port (the binary of the repository's debug build,
or TOLLGATE_BINARY), and a clock the tests move."""
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

ROOT = Path(__file__).resolve().parents[3]
BINARY = Path(os.environ.get("TOLLGATE_BINARY", ROOT / ".build" / "debug" / "tollgate"))
ADMIN = "tga_python-sdk-admin-token-0123"


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    def __init__(self, data_dir, port=None):
        self.data_dir = Path(data_dir)
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = open(self.data_dir.parent / f"server-{self.port}.log", "a+")
        env = dict(os.environ, TOLLGATE_ADMIN_TOKEN=ADMIN)
        self.process = subprocess.Popen([str(BINARY), "serve", "--port", str(self.port), "--data-dir", str(self.data_dir)],
                                        stdout=self.log, stderr=self.log, env=env)
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                if self.admin("GET", "/healthz")[0] == 200:
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("tollgate serve did not start")

    def admin(self, method, path, body=None):
        request = urllib.request.Request(self.url + path, method=method, data=None if body is None else json.dumps(body).encode())
        request.add_header("Authorization", f"Bearer {ADMIN}")
        request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:
                return answer.status, json.loads(answer.read() or b"null")
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"null")

    def license(self, preset="professional"):
        """A product with the three preset tiers (cheapest first), a customer and a license under ``preset``."""
        _, product = self.admin("POST", "/v1/products", {"code": f"p{time.time_ns()}", "name": "App"})
        policies = {name: self.admin("POST", f"/v1/policies/presets/{name}", {"productId": product["id"]})[1]
                    for name in ("community", "professional", "enterprise")}
        policy = policies[preset]
        _, customer = self.admin("POST", "/v1/customers", {"name": "Acme"})
        status, license = self.admin("POST", "/v1/licenses", {"policyId": policy["id"], "customerId": customer["id"]})
        assert status == 201, license
        return license

    def jwks(self):
        return self.admin("GET", "/.well-known/jwks.json")[1]

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=30)


class Clock:
    """The client's clock: real time at the start, moved by the tests."""

    def __init__(self):
        self.offset = 0.0

    def __call__(self):
        return time.time() + self.offset

    def advance(self, days=0, seconds=0):
        self.offset += days * 86_400 + seconds


@pytest.fixture
def server(tmp_path):
    running = Server(tmp_path / "data")
    yield running
    if running.process.poll() is None:
        running.stop()


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def make_client(server, clock, tmp_path):
    """A client for a new license (or ``license``) on this server; storage in a new folder unless given."""
    from tollgate import Client

    def make(license, storage=None, url=None, fingerprint="fp-python", **options):
        storage = storage or tempfile.mkdtemp(dir=tmp_path)
        return Client(url or server.url, license["productId"], server.jwks(), storage, fingerprint=fingerprint, now=clock,
                      timeout=2, **options)
    return make
