"""Slow clients cannot hold connections: a request head has header_timeout s, a body body_timeout s (and 15 s
between two chunks), an idle keep-alive connection keep_alive_timeout s. Against a real `stride serve`."""

import socket
import time

import pytest

from tests.serving.servers import start_stride, stop


@pytest.fixture(scope="module")
def slow_server():
    process, base = start_stride(STRIDE_HEADER_TIMEOUT=1.5, STRIDE_BODY_TIMEOUT=2, STRIDE_KEEP_ALIVE_TIMEOUT=1)
    yield int(base.rsplit(":", 1)[1])
    stop(process)


def closed_after(sock: socket.socket, limit: float) -> tuple[float, bytes]:
    """(seconds until the server closed the connection, what it sent before), waiting at most `limit` s."""
    start = time.monotonic()
    sock.settimeout(limit)
    received = b""
    while True:
        try:
            chunk = sock.recv(65536)
        except TimeoutError:
            return float("inf"), received
        except ConnectionResetError:
            return time.monotonic() - start, received
        if not chunk:
            return time.monotonic() - start, received
        received += chunk


def test_a_request_head_sent_slowly_is_cut_off(slow_server):
    sockets = []
    for _ in range(20):
        sock = socket.create_connection(("127.0.0.1", slow_server))
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")  # and never the blank line
        sockets.append(sock)
    waited = [closed_after(sock, 10)[0] for sock in sockets]
    assert max(waited) < 6, waited
    for sock in sockets:
        sock.close()


def test_a_keep_alive_connection_gets_a_new_head_timer(slow_server):
    sock = socket.create_connection(("127.0.0.1", slow_server))
    sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
    time.sleep(0.3)
    sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")  # the second head, never finished
    seconds, received = closed_after(sock, 10)
    assert received.startswith(b"HTTP/1.1 200") and seconds < 6
    sock.close()


def test_a_body_sent_slowly_gets_a_408(slow_server):
    sock = socket.create_connection(("127.0.0.1", slow_server))
    sock.sendall(b"POST /api/conv2d HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                 b"Content-Length: 100000\r\nAccept-Language: ru\r\n\r\n{\"input\": [")
    start = time.monotonic()
    for _ in range(8):  # a few bytes a second, for longer than body_timeout
        time.sleep(0.5)
        try:
            sock.sendall(b"1,")
        except OSError:
            break
    seconds, received = closed_after(sock, 10)
    assert received.startswith(b"HTTP/1.1 408"), received[:200]
    assert "слишком медленно".encode() in received
    assert time.monotonic() - start < 8
    sock.close()


def test_an_idle_keep_alive_connection_is_closed(slow_server):
    sock = socket.create_connection(("127.0.0.1", slow_server))
    sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
    seconds, received = closed_after(sock, 10)
    assert received.startswith(b"HTTP/1.1 200") and seconds < 4
    sock.close()
