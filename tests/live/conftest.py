"""A real redis-server for the live-session tests: on a free loopback port, in a temporary folder.

Without Debian's redis-server the Redis cases are skipped locally and fail in CI (`CI=true`), as the
browser tests do without Chromium; `make test` installs it when run as root.
"""

import os
import shutil
import socket
import subprocess
import time

import pytest

from app.live.broker import Limits, MemoryBroker


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory):
    binary = shutil.which("redis-server")
    if binary is None:
        message = "redis-server not found: run `make test` as root, or install Debian's redis-server"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    folder = tmp_path_factory.mktemp("redis")
    port = free_port()
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(folder), "--save", "", "--appendonly", "no",
         "--protected-mode", "yes", "--loglevel", "warning"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5) as conn:
                conn.sendall(b"PING\r\n")
                if conn.recv(16).startswith(b"+PONG"):
                    break
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail("redis-server did not start")
        time.sleep(0.05)
    yield f"redis://127.0.0.1:{port}/0"
    process.terminate()
    process.wait(timeout=10)


def flush(url: str) -> None:
    import redis

    client = redis.Redis.from_url(url)
    client.flushdb()
    client.close()


@pytest.fixture(params=["memory", "redis"])
def store(request):
    """The broker kind under test: "memory", or the URL of a flushed redis-server."""
    if request.param == "memory":
        return ""
    url = request.getfixturevalue("redis_url")
    flush(url)
    return url


@pytest.fixture
def anyio_backend():
    return "asyncio"


def make_broker(store: str, **limits):
    if not store:
        return MemoryBroker(Limits(**limits))
    from app.live.redis_broker import RedisBroker

    return RedisBroker(store, Limits(**limits))
