"""Fixtures for tests that run several real processes around a real Redis."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.multiprocess.servers import RedisServer, redis_server_binary


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """A throwaway ``redis-server`` on a free loopback port, stopped at the end of the session.

    Skipped, with the reason, when ``redis-server`` is not installed; with ``CI=true`` that is a
    failure instead.
    """
    binary = redis_server_binary()
    server = RedisServer(binary, tmp_path_factory.mktemp("redis"))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def redis_url(redis_server: RedisServer) -> Iterator[str]:
    """The URL of the session's Redis, emptied after the test."""
    import redis

    yield redis_server.url
    redis.Redis.from_url(redis_server.url).flushall()
