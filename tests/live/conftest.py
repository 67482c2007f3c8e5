"""A real redis-server for the live-session tests: on a free loopback port, in a temporary folder.

Without Debian's redis-server the Redis cases are skipped locally and fail in CI (`CI=true`), as the
browser tests do without Chromium; `make test` installs it when run as root.
"""

import os
import shutil

import pytest

from app.live.broker import Limits, MemoryBroker
from bench.live_followers import start_redis


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory):
    if shutil.which("redis-server") is None:
        message = "redis-server not found: run `make test` as root, or install Debian's redis-server"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    process, url = start_redis(str(tmp_path_factory.mktemp("redis")))
    yield url
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
