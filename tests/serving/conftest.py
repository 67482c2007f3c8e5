"""Fixtures of the real-server tests: a redis-server (the live-session tests' own fixture, shared)."""

from tests.live.conftest import redis_url  # noqa: F401  (a real redis-server on a free loopback port)
