"""Usage ingestion is exact across a SIGKILL between the write and the answer: batches sent by
four senders while the server is killed, then every batch sent again to the restarted server,
leave each event stored once with its quantity to the unit (OpenMeter #5118 lost retried events;
Lago #637 accepted events it never kept). On SQLite (the stored rows are read from the file)."""
import signal
import sqlite3
import threading
import time

from conftest import Server, issue_license


def test_batches_killed_between_write_and_answer_are_stored_once_when_sent_again(tmp_path):
    server = Server(tmp_path / "data")
    assert server.json("POST", "/v1/meters", {"code": "gpu-hours", "name": "GPU hours", "aggregation": "sum"})[0] == 201
    license = issue_license(server)
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    # 4 senders × 20 batches × 250 events; quantities in tenths, so a double would drift.
    batches = [[{"id": f"s{s}-b{b}-e{e}", "licenseId": license["id"], "meter": "gpu-hours", "quantity": (e % 7) / 10, "timestamp": now}
                for e in range(250)] for s in range(4) for b in range(20)]
    answered = {}
    lock = threading.Lock()

    def sender(index):
        for number in range(index, len(batches), 4):
            try:
                status, answer = server.json("POST", "/v1/usage/events", {"events": batches[number]})
            except Exception:
                return  # the server is gone
            assert status == 200, answer
            with lock:
                answered[number] = answer

    senders = [threading.Thread(target=sender, args=(s,)) for s in range(4)]
    for thread in senders:
        thread.start()
    while len(answered) < 6:
        time.sleep(0.01)
    server.process.send_signal(signal.SIGKILL)
    server.process.wait()
    for thread in senders:
        thread.join()
    assert 6 <= len(answered) < len(batches)
    assert all(answer["accepted"] == 250 for answer in answered.values())

    restarted = Server(tmp_path / "data")
    try:
        for number, batch in enumerate(batches):
            status, answer = restarted.json("POST", "/v1/usage/events", batch)
            assert status == 200, answer
            assert answer["conflicts"] == 0 and answer["rejected"] == 0, answer
            assert answer["accepted"] + answer["duplicates"] == 250
            if number in answered:  # acknowledged before the kill: already stored
                assert answer["duplicates"] == 250
    finally:
        restarted.stop()
    database = sqlite3.connect(tmp_path / "data" / "tollgate.sqlite")
    count, total = database.execute("SELECT COUNT(*), SUM(quantity) FROM usage_events").fetchone()
    assert count == len(batches) * 250
    assert total == sum(e % 7 for e in range(250)) * 100_000 * len(batches)
