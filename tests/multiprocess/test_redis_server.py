"""The throwaway Redis the multi-process tests run on."""

from __future__ import annotations

import pytest

from tests.multiprocess import servers

pytestmark = pytest.mark.multiprocess


def test_redis_server_answers_on_loopback_and_keeps_nothing_on_disk(redis_server):
    import redis

    client = redis.Redis.from_url(redis_server.url)
    assert client.ping()
    assert client.config_get("save") == {"save": ""}
    assert client.config_get("bind")["bind"] == "127.0.0.1"


def test_missing_redis_server_skips_outside_ci(monkeypatch):
    monkeypatch.setattr(servers.shutil, "which", lambda name: None)
    monkeypatch.setattr(servers, "Path", lambda p: _Missing())
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="redis-server not found"):
        servers.redis_server_binary()


def test_missing_redis_server_fails_in_ci(monkeypatch):
    monkeypatch.setattr(servers.shutil, "which", lambda name: None)
    monkeypatch.setattr(servers, "Path", lambda p: _Missing())
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI requires"):
        servers.redis_server_binary()


class _Missing:
    def is_file(self) -> bool:
        return False
