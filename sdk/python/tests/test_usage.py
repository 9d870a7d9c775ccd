"""The durable usage buffer against a local stand-in for the metering endpoint (which arrives
with the metering issue): accepts a batch once per Idempotency-Key, can fail or lose its answers."""
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tollgate import UsageBuffer


class Endpoint:
    def __init__(self):
        self.mode, self.keys, self.counts, self.meters = "accept", [], {}, {}
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                key = self.headers["Idempotency-Key"]
                if endpoint.mode in ("accept", "lose") and key not in endpoint.keys:
                    endpoint.keys.append(key)
                    for event in body["events"]:
                        endpoint.counts[event["id"]] = endpoint.counts.get(event["id"], 0) + 1
                        endpoint.meters[event["id"]] = event["meter"]
                status = {"accept": 202, "lose": 503, "down": 503, "reject": 400}[endpoint.mode]
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.http.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.http.server_address[1]}"

    def stop(self):
        self.http.shutdown()
        self.http.server_close()


@pytest.fixture
def endpoint():
    running = Endpoint()
    yield running
    running.stop()


def buffer(directory, url, chunk_size=500):
    from tollgate import Client
    # The client's own sender, pointed at the stand-in.
    client = Client(url, "prd_x", {"keys": []}, directory / "client", fingerprint="fp")
    return UsageBuffer(directory / "usage", client._send_usage, chunk_size=chunk_size)


def test_an_event_is_on_disk_when_record_returns_and_sent_once(endpoint, tmp_path):
    usage = buffer(tmp_path, endpoint.url)
    for _ in range(3):
        usage.record("executions", 1)
    assert len(buffer(tmp_path, endpoint.url).pending_events) == 3
    assert usage.flush() == {"sent": 3, "pending": 0, "rejected": 0}
    assert len(endpoint.counts) == 3 and set(endpoint.counts.values()) == {1}
    assert usage.pending_events == [] and usage.flush() == {"sent": 0, "pending": 0, "rejected": 0}


def test_an_outage_keeps_events_until_the_endpoint_is_back(endpoint, tmp_path):
    usage = buffer(tmp_path, endpoint.url)
    endpoint.mode = "down"
    usage.record("executions", 1)
    assert usage.flush() == {"sent": 0, "pending": 1, "rejected": 0}
    usage.record("executions", 2)
    endpoint.stop()
    assert usage.flush() == {"sent": 0, "pending": 2, "rejected": 0}  # nobody listening at all
    back = Endpoint()
    try:
        assert buffer(tmp_path, back.url).flush() == {"sent": 2, "pending": 0, "rejected": 0}
        assert len(back.counts) == 2
    finally:
        back.stop()
    endpoint.http = type("Stopped", (), {"shutdown": lambda self: None, "server_close": lambda self: None})()


def test_a_lost_answer_is_resent_under_the_same_key_and_counted_once(endpoint, tmp_path):
    usage = buffer(tmp_path, endpoint.url, chunk_size=2)
    for _ in range(5):
        usage.record("executions", 1)
    endpoint.mode = "lose"
    assert usage.flush() == {"sent": 0, "pending": 5, "rejected": 0}
    first = list(endpoint.keys)
    endpoint.mode = "accept"
    assert usage.flush() == {"sent": 5, "pending": 0, "rejected": 0}
    assert len(first) == 1 and endpoint.keys[0] == first[0] and len(set(endpoint.keys)) == 3
    assert len(endpoint.counts) == 5 and set(endpoint.counts.values()) == {1}


def test_a_crash_loses_nothing_and_duplicates_nothing(endpoint, tmp_path):
    crashed = buffer(tmp_path, endpoint.url)
    crashed.record("a", 1)
    crashed.seal()  # crash after sealing, before sending
    crashed.record("b", 1)
    del crashed
    with open(tmp_path / "usage" / UsageBuffer.JOURNAL, "ab") as journal:
        journal.write(b'{"id":"torn')  # crash in the middle of a line
    restarted = buffer(tmp_path, endpoint.url)
    restarted.record("c", 1)
    assert restarted.flush() == {"sent": 3, "pending": 0, "rejected": 0}
    assert sorted(endpoint.meters.values()) == ["a", "b", "c"] and set(endpoint.counts.values()) == {1}


def test_a_batch_refused_for_good_is_set_aside(endpoint, tmp_path):
    usage = buffer(tmp_path, endpoint.url)
    endpoint.mode = "reject"
    usage.record("bad", 1)
    assert usage.flush() == {"sent": 0, "pending": 0, "rejected": 1}
    endpoint.mode = "accept"
    usage.record("good", 1)
    assert usage.flush() == {"sent": 1, "pending": 0, "rejected": 0}
    assert any(path.name.startswith("rejected-batch-") for path in (tmp_path / "usage").iterdir())
    assert usage.used_this_month("bad") == 1 and usage.used_this_month("good") == 1
