"""Rate limits over real loopback HTTP (README, "Rate limits"): failed license checks per client
address, the client address taken from X-Forwarded-For only behind a trusted proxy, and the
exactness the README claims: each replica counts on its own, exactly."""
import base64
import json
import os
import time
import uuid

import pytest

from conftest import Server

DATABASE = os.environ.get("TOLLGATE_TEST_DATABASE_URL")


def license_with_rate(server, per_minute):
    _, product = server.json("POST", "/v1/products", {"code": f"p{uuid.uuid4().hex[:8]}", "name": "Engine"})
    status, policy = server.json("POST", "/v1/policies", {"productId": product["id"], "name": "Metered", "apiRequestsPerMinute": per_minute})
    assert status == 201, policy
    _, customer = server.json("POST", "/v1/customers", {"name": "Acme"})
    status, license = server.json("POST", "/v1/licenses", {"policyId": policy["id"], "customerId": customer["id"]})
    assert status == 201, license
    return license


def validate(server, key, forwarded=None):
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    status, response_headers, raw = server.request("POST", "/v1/licenses/validate", {"key": key}, token=None, headers=headers)
    return status, response_headers, json.loads(raw)


def test_failed_license_checks_slow_the_address_that_makes_them(tmp_path):
    server = Server(tmp_path / "data", env={"TOLLGATE_FAILED_ATTEMPTS_PER_MINUTE": "5"})
    try:
        license = license_with_rate(server, 1000)
        assert validate(server, license["key"])[2]["code"] == "VALID"
        codes = [validate(server, f"TG1-guess-{n}")[2]["code"] for n in range(4)]
        assert codes == ["MISTYPED"] * 4
        # A wrong key in the Authorization header counts the same.
        status, _, _ = server.request("POST", "/v1/machines", {"fingerprint": "fp"}, token=None, headers={"Authorization": "License TG1-guess"})
        assert status == 401
        status, headers, body = validate(server, "TG1-guess-5")
        assert status == 429 and body["error"]["code"] == "RATE_LIMITED" and headers["Retry-After"] in ("11", "12"), (status, headers, body)
        # The address is held back whatever it sends now, a valid key too; X-Forwarded-For is not
        # believed from a peer that is not a trusted proxy.
        assert validate(server, license["key"])[0] == 429
        assert validate(server, license["key"], forwarded="198.51.100.7")[0] == 429
        status, _, _ = server.request("POST", "/v1/machines", {"fingerprint": "fp"}, token=None, headers={"Authorization": f"License {license['key']}"})
        assert status == 429
        # API tokens are not key checks: the admin API still answers.
        assert server.request("GET", "/v1/account")[0] == 200
    finally:
        server.stop()


def test_behind_a_trusted_proxy_failures_count_per_forwarded_client(tmp_path):
    server = Server(tmp_path / "data", env={"TOLLGATE_FAILED_ATTEMPTS_PER_MINUTE": "3", "TOLLGATE_TRUSTED_PROXIES": "127.0.0.1/32, ::1"})
    try:
        license = license_with_rate(server, 1000)
        for n in range(3):
            assert validate(server, f"bad-{n}", forwarded="198.51.100.7")[0] == 200
        assert validate(server, "bad", forwarded="198.51.100.7")[0] == 429
        # A client's own entry to the left of the proxy's is skipped: still 198.51.100.7.
        assert validate(server, license["key"], forwarded="203.0.113.1, 198.51.100.7")[0] == 429
        # Another client behind the same proxy is not held back.
        assert validate(server, license["key"], forwarded="198.51.100.8")[2]["code"] == "VALID"
        # The validation log (written in batches) records the forwarded address.
        deadline = time.time() + 10
        while time.time() < deadline:
            _, log = server.json("GET", f"/v1/licenses/{license['id']}/validations")
            if log["data"]:
                break
            time.sleep(0.1)
        assert {entry.get("remoteAddress") for entry in log["data"]} == {"198.51.100.8"}, log
    finally:
        server.stop()


@pytest.mark.skipif(not DATABASE, reason="needs PostgreSQL: run through scripts/with-postgres (scripts/test does)")
def test_each_replica_counts_exactly_on_its_own(tmp_path):
    """The README's claim: one replica allows exactly the limit; R replicas behind a balancer allow
    at most R times it, because each keeps its own buckets in memory."""
    env = {
        "TOLLGATE_DATABASE_URL": f"{DATABASE}?schema=r_{uuid.uuid4().hex}",
        "TOLLGATE_KEY_ENCRYPTION_KEY": base64.b64encode(os.urandom(32)).decode(),
    }
    a = Server(tmp_path / "a", env=env, wait=False)
    b = Server(tmp_path / "b", env=env, wait=False)
    try:
        a.wait_ready()
        b.wait_ready()
        license = license_with_rate(a, 4)
        answers = []
        for n in range(12):
            status, headers, _ = validate((a, b)[n % 2], license["key"])
            answers.append((status, headers.get("RateLimit-Remaining")))
        # Alternating like a round-robin balancer: four each, in step, then refusals from both.
        assert answers[:8] == [(200, "3"), (200, "3"), (200, "2"), (200, "2"), (200, "1"), (200, "1"), (200, "0"), (200, "0")], answers
        assert [status for status, _ in answers[8:]] == [429] * 4, answers
    finally:
        a.stop()
        b.stop()
