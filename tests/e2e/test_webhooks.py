"""Webhooks from a real server to a real receiver on loopback, checked with PyPI's
`standardwebhooks`: every delivery verifies, a tampered, stale or re-signed one does not, the
`webhook-id` is the event's, a rotated-out secret signs beside the new one, and a loopback target
is refused unless the operator allows it."""
import base64
import hashlib
import hmac
import http.server
import json
import signal
import sqlite3
import threading
import time
from datetime import datetime, timezone

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from conftest import Server, issue_license


class Receiver:
    """An HTTP server on a free loopback port that answers `status` and keeps what it got."""

    def __init__(self, status=204):
        self.received = []
        self.status = status
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append(({k.lower(): v for k, v in self.headers.items()}, body))
                self.send_response(receiver.status)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/hooks"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def wait_for(self, count, seconds=10):
        deadline = time.time() + seconds
        while len(self.received) < count and time.time() < deadline:
            time.sleep(0.05)
        return self.received

    def close(self):
        self.httpd.shutdown()


@pytest.fixture
def receiver():
    running = Receiver()
    yield running
    running.close()


def test_deliveries_verify_with_standardwebhooks_and_tampering_does_not(tmp_path, receiver):
    server = Server(tmp_path / "data", env={"TOLLGATE_WEBHOOK_ALLOW": "loopback", "TOLLGATE_WEBHOOK_POLL_MS": "50"})
    try:
        status, endpoint = server.json("POST", "/v1/webhook-endpoints", {"url": receiver.url, "eventTypes": ["license.*"]})
        assert status == 201, endpoint
        started = time.time()
        license = issue_license(server)
        assert server.json("POST", f"/v1/licenses/{license['id']}/actions/suspend")[0] == 200
        got = receiver.wait_for(2)
        assert len(got) == 2, got
        print(f"first delivery {time.time() - started:.2f} s after the license was asked for")
        hook = Webhook(endpoint["secret"])
        # Order is not promised (attempts run side by side): the sequence orders them.
        got = sorted(got, key=lambda delivery: json.loads(delivery[1])["sequence"])
        events = [hook.verify(body, headers) for headers, body in got]
        assert [event["type"] for event in events] == ["license.created", "license.suspended"]
        assert all(event["objectId"] == license["id"] and event["data"]["id"] == license["id"] for event in events)
        assert [headers["webhook-id"] for headers, _ in got] == [event["id"] for event in events]
        assert events[0]["sequence"] < events[1]["sequence"]
        assert events[1]["data"]["status"] == "suspended"

        headers, body = got[1]
        # Tampered: a changed body, another event's id, a signature by another secret.
        with pytest.raises(WebhookVerificationError):
            hook.verify(body.replace(b"suspended", b"active"), headers)
        with pytest.raises(WebhookVerificationError):
            hook.verify(body, {**headers, "webhook-id": got[0][0]["webhook-id"]})
        with pytest.raises(WebhookVerificationError):
            Webhook("whsec_" + base64.b64encode(b"another secret of thirty-two b!!").decode()).verify(body, headers)
        # Stale: the same message, re-signed correctly but ten minutes old, and replayed later
        # with its timestamp moved forward (which breaks the signature).
        old = str(int(time.time()) - 600)
        stale = hook.sign(headers["webhook-id"], datetime.fromtimestamp(int(old), tz=timezone.utc), body.decode())
        with pytest.raises(WebhookVerificationError):
            hook.verify(body, {**headers, "webhook-timestamp": old, "webhook-signature": stale})
        with pytest.raises(WebhookVerificationError):
            hook.verify(body, {**headers, "webhook-timestamp": str(int(time.time()) + 1)})
        # Only the endpoint's events: a customer's creation is not a license event.
        server.json("POST", "/v1/customers", {"name": "Not sent"})
        time.sleep(0.5)
        assert len(receiver.received) == 2
    finally:
        server.stop()


def test_a_rotated_secret_signs_beside_the_new_one(tmp_path, receiver):
    server = Server(tmp_path / "data", env={"TOLLGATE_WEBHOOK_ALLOW": "loopback", "TOLLGATE_WEBHOOK_POLL_MS": "50"})
    try:
        _, endpoint = server.json("POST", "/v1/webhook-endpoints", {"url": receiver.url, "eventTypes": ["customer.created"]})
        _, rotated = server.json("POST", f"/v1/webhook-endpoints/{endpoint['id']}/actions/rotate-secret")
        server.json("POST", "/v1/customers", {"name": "Acme"})
        (headers, body), = receiver.wait_for(1)
        assert len(headers["webhook-signature"].split(" ")) == 2
        assert Webhook(rotated["secret"]).verify(body, headers)["type"] == "customer.created"
        assert Webhook(endpoint["secret"]).verify(body, headers)["type"] == "customer.created"
    finally:
        server.stop()


def test_a_loopback_target_is_refused_unless_allowed(tmp_path, receiver):
    server = Server(tmp_path / "data", env={"TOLLGATE_WEBHOOK_POLL_MS": "50"})
    try:
        assert server.json("POST", "/v1/webhook-endpoints", {"url": receiver.url})[0] == 201
        server.json("POST", "/v1/customers", {"name": "Acme"})
        time.sleep(1.5)
        assert receiver.received == []
        # Attempted and refused, with the reason recorded, and due again 5 s after the attempt began.
        with sqlite3.connect(server.data_dir / "tollgate.sqlite") as db:
            rows = db.execute("SELECT d.state, d.attempts, d.next_attempt_at - a.at, a.error FROM webhook_deliveries d "
                              "JOIN webhook_attempts a ON a.delivery_id = d.id").fetchall()
        assert len(rows) == 2, rows  # the endpoint's own creation, and the customer's
        assert all(state == "pending" and attempts == 1 and 4_000 <= wait <= 5_000 and "loopback" in error for state, attempts, wait, error in rows), rows
    finally:
        server.stop()
    bad = Server(tmp_path / "bad", env={"TOLLGATE_WEBHOOK_ALLOW": "loopback,everything"}, wait=False)
    assert bad.process.wait(timeout=20) != 0
    assert "TOLLGATE_WEBHOOK_ALLOW" in bad.read_stderr()


def test_a_kill_during_a_burst_of_deliveries_loses_none(tmp_path):
    """SIGKILL while customers are being created and their deliveries sent: after a restart every
    event the log has arrives (at least once, deduped by `webhook-id`), and nothing else does."""
    got = []
    lock = threading.Lock()

    class Slow(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            time.sleep(0.02)  # attempts are under way when the kill comes
            with lock:
                got.append(({k.lower(): v for k, v in self.headers.items()}, body))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Slow)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    env = {"TOLLGATE_WEBHOOK_ALLOW": "loopback", "TOLLGATE_WEBHOOK_POLL_MS": "20", "TOLLGATE_WEBHOOK_TIMEOUT_MS": "1000"}
    server = Server(tmp_path / "data", env=env)
    try:
        url = f"http://127.0.0.1:{httpd.server_address[1]}/hooks"
        status, endpoint = server.json("POST", "/v1/webhook-endpoints", {"url": url, "eventTypes": ["customer.created"]})
        assert status == 201, endpoint
        answered = []

        def create(worker):
            for index in range(150):
                try:
                    status, customer = server.json("POST", "/v1/customers", {"name": f"c{worker}-{index}"})
                except OSError:
                    return  # the server is gone
                if status == 201:
                    answered.append(customer["id"])

        workers = [threading.Thread(target=create, args=(worker,)) for worker in range(4)]
        for worker in workers:
            worker.start()
        deadline = time.time() + 30
        while len(got) < 100 and time.time() < deadline:
            time.sleep(0.005)
        server.stop(signal.SIGKILL)
        for worker in workers:
            worker.join()
        delivered_before = len(got)
        assert 100 <= delivered_before and len(answered) < 600, "the kill came in the middle of the burst"

        server = Server(tmp_path / "data", env=env)
        events, cursor = [], None
        while True:
            _, page = server.json("GET", "/v1/events?type=customer.created&limit=100" + (f"&cursor={cursor}" if cursor else ""))
            events += page["data"]
            cursor = page.get("nextCursor")
            if not cursor:
                break
        expected = {event["id"] for event in events}
        assert {event["objectId"] for event in events} >= set(answered), "every answered change has its event"
        deadline = time.time() + 60
        while time.time() < deadline:
            with lock:
                ids = {headers["webhook-id"] for headers, _ in got}
            if ids >= expected:
                break
            time.sleep(0.1)
        hook = Webhook(endpoint["secret"])
        with lock:
            received = list(got)
        for headers, body in received:
            assert hook.verify(body, headers)["id"] == headers["webhook-id"]
        ids = [headers["webhook-id"] for headers, _ in received]
        assert set(ids) == expected, f"missing {len(expected - set(ids))}, unexpected {len(set(ids) - expected)}"
        print(f"{len(expected)} events, {len(ids)} deliveries ({len(ids) - len(set(ids))} repeated after the kill), "
              f"{delivered_before} before it")
    finally:
        server.stop()
        httpd.shutdown()
