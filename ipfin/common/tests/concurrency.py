"""Truly concurrent work for the PostgreSQL-only tests: N threads, each on its own database
connection, released together by a barrier."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar

from django.db import connection

from ipfin.common.errors import Conflict

T = TypeVar("T")

THREADS = 8


def all_at_once(count: int, work: Callable[[int], T]) -> list[T]:
    """work(0..count-1), each in its own thread with its own connection (closed after), started
    together; the results in order. A thread's exception fails the caller; a hung thread too."""
    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count
    errors: list[BaseException] = []

    def target(i: int) -> None:
        try:
            barrier.wait(timeout=30)
            results[i] = work(i)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=target, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a thread hung (deadlock?)"
    if errors:
        raise errors[0]
    return results


def run_at_once(work: Callable[[int], Any], count: int = THREADS) -> list[tuple[str, Any]]:
    """all_at_once, each outcome as ("ok", value) / ("conflict", code) / ("error", repr)."""

    def outcome(i: int) -> tuple[str, Any]:
        try:
            return ("ok", work(i))
        except Conflict as exc:
            return ("conflict", exc.code)
        except Exception as exc:
            return ("error", repr(exc))

    return all_at_once(count, outcome)
