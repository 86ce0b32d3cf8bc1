"""A Redis cache that degrades instead of failing: when Redis is unreachable a read is a miss
and a write is dropped (logged), so pages keep working on the database alone.

The cache only ever holds things that can be recomputed or re-asked for (import reports of
background jobs, figures); sessions live in the database, never only in Redis. After a
failure the cache is not tried again for `RETRY_AFTER` seconds, so an outage costs one
connection attempt per process every few seconds rather than one per cache call."""

from __future__ import annotations

import functools
import logging
import threading
import time

from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

# Seconds a process leaves Redis alone after a failure.
RETRY_AFTER = 5.0

_DEFAULTS = {
    "get": lambda args, kwargs: kwargs.get("default", args[1] if len(args) > 1 else None),
    "get_many": lambda args, kwargs: {},
    "set_many": lambda args, kwargs: list(args[0]) if args else [],
    "has_key": lambda args, kwargs: False,
}


class ResilientRedisCache(RedisCache):
    _down_until = 0.0
    _lock = threading.Lock()

    def _degraded(self, name: str, args: tuple, kwargs: dict):
        make = _DEFAULTS.get(name)
        if make is not None:
            return make(args, kwargs)
        return False if name in ("add", "touch", "delete") else None

    @classmethod
    def _mark_down(cls, name: str, exc: Exception) -> None:
        with cls._lock:
            first = time.monotonic() >= cls._down_until
            cls._down_until = time.monotonic() + RETRY_AFTER
        if first:
            log.warning("cache unavailable (%s: %s); serving without it", name, exc)

    @classmethod
    def is_down(cls) -> bool:
        return time.monotonic() < cls._down_until


def _guard(name: str):
    original = getattr(RedisCache, name)

    @functools.wraps(original)
    def method(self, *args, **kwargs):
        if self.is_down():
            return self._degraded(name, args, kwargs)
        try:
            return original(self, *args, **kwargs)
        except (RedisError, OSError) as exc:
            self._mark_down(name, exc)
            return self._degraded(name, args, kwargs)

    return method


for _name in (
    "add",
    "get",
    "set",
    "touch",
    "delete",
    "get_many",
    "has_key",
    "set_many",
    "delete_many",
    "clear",
):
    setattr(ResilientRedisCache, _name, _guard(_name))
