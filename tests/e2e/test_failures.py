"""The database goes away under load: requests that need it answer 503 with Retry-After (never a
wrong answer, never a 500), /readyz goes red, and the server recovers by itself when the database
comes back, without a restart."""
import threading
import time

from conftest import Server, TempPostgres


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
        red = server.request("GET", "/readyz")
        assert red[0] == 503 and red[1].get("Retry-After")
        database.start()
        deadline = time.time() + 30
        while time.time() < deadline and server.request("GET", "/readyz")[0] != 200:
            time.sleep(0.2)
        assert server.request("GET", "/readyz")[0] == 200
        time.sleep(1)
        stop.set()
        for worker in workers:
            worker.join()
        assert set(statuses) <= {200, 201, 503}, sorted(set(statuses))
        assert 503 in statuses and retry_afters and all(retry_afters)
        # Recovered: writes succeed again without a restart.
        assert server.request("POST", "/v1/customers", {"name": "after"})[0] == 201
        assert server.process.poll() is None
    finally:
        server.stop()
        database.remove()
