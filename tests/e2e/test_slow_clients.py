"""Slow clients cannot hold connections: a connection that sends nothing, a request head sent a
byte at a time and a body sent a byte at a time are all closed by the server within its idle or
read timeout, and the server's file descriptors come back to where they were."""
import os
import socket
import time

from conftest import Server

IDLE, READ = 2, 2


def closed_within(sock, limit, trickle=None):
    """Seconds until the server closes `sock` (recv gives b'' or a reset), calling `trickle`
    every 0.4 s meanwhile; None if it is still open after `limit` seconds."""
    start = time.time()
    sock.settimeout(0.4)
    while time.time() - start < limit:
        try:
            if sock.recv(4096) == b"":
                return time.time() - start
        except socket.timeout:
            pass
        except (ConnectionResetError, BrokenPipeError):
            return time.time() - start
        if trickle:
            try:
                trickle()
            except (ConnectionResetError, BrokenPipeError):
                return time.time() - start
    return None


def open_fds(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def test_slow_and_idle_clients_are_disconnected_and_their_descriptors_freed(tmp_path):
    server = Server(tmp_path / "data", env={"TOLLGATE_IDLE_TIMEOUT_SECONDS": str(IDLE), "TOLLGATE_READ_TIMEOUT_SECONDS": str(READ)})
    try:
        baseline = open_fds(server.process.pid)

        idle = socket.create_connection(("127.0.0.1", server.port))

        head = socket.create_connection(("127.0.0.1", server.port))
        head_bytes = iter(b"POST /v1/customers HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + b"x" * 200)

        body = socket.create_connection(("127.0.0.1", server.port))
        body.sendall(b"POST /v1/customers HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{")

        sockets = [idle, head, body]

        limit = max(IDLE, READ) + 4
        assert closed_within(idle, limit) is not None, "an idle connection stayed open"
        assert closed_within(head, limit, lambda: head.send(bytes([next(head_bytes)]))) is not None, "a trickled request head held its connection"
        took = closed_within(body, limit, lambda: body.send(b" "))
        assert took is not None, "a trickled body held its connection"

        # A normal request on a fresh connection still works, and the descriptors are back.
        assert server.request("GET", "/healthz")[0] == 200
        for sock in sockets:
            sock.close()
        deadline = time.time() + 5
        while open_fds(server.process.pid) > baseline and time.time() < deadline:
            time.sleep(0.1)
        assert open_fds(server.process.pid) <= baseline
    finally:
        server.stop()


def test_keep_alive_connections_that_keep_asking_stay_open(tmp_path):
    """The timeouts cut slow requests, not busy connections: requests on one keep-alive
    connection for longer than both timeouts are all answered."""
    import http.client
    server = Server(tmp_path / "data", env={"TOLLGATE_IDLE_TIMEOUT_SECONDS": str(IDLE), "TOLLGATE_READ_TIMEOUT_SECONDS": str(READ)})
    try:
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
        start = time.time()
        while time.time() - start < IDLE + READ + 1:
            connection.request("GET", "/healthz")
            response = connection.getresponse()
            assert response.status == 200
            response.read()
            time.sleep(0.5)
        connection.close()
    finally:
        server.stop()
