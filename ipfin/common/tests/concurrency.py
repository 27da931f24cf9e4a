"""Truly concurrent work for the PostgreSQL-only tests: N threads, each on its own database
connection, released together by a barrier."""

from __future__ import annotations

import threading
import time
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


def _outcome(work: Callable[[], Any]) -> tuple[str, Any]:
    try:
        return ("ok", work())
    except Conflict as exc:
        return ("conflict", exc.code)
    except Exception as exc:
        return ("error", repr(exc))
    finally:
        connection.close()


def while_held_open(
    monkeypatch: Any,
    services: Any,
    action: str,
    first: Callable[[], Any],
    second: Callable[[], Any],
) -> tuple[tuple[str, Any], tuple[str, Any]]:
    """`first` run in a thread, its transaction held open just after its audit record `action`
    (written through `services.audit_record`), while `second` runs in another thread for a
    second; then `first` goes on and commits. Each one's outcome as `run_at_once` gives it."""
    reached, go_on = threading.Event(), threading.Event()
    audit = services.audit_record

    def audit_then_hold(**kw: Any) -> Any:
        record = audit(**kw)
        if kw.get("action") == action:
            reached.set()
            go_on.wait(10)  # the first write's transaction stays open here
        return record

    monkeypatch.setattr(services, "audit_record", audit_then_hold)
    outcomes: dict[str, tuple[str, Any]] = {}
    held = threading.Thread(target=lambda: outcomes.__setitem__("first", _outcome(first)))
    held.start()
    assert reached.wait(10), f"{action} was never recorded"
    meanwhile = threading.Thread(target=lambda: outcomes.__setitem__("second", _outcome(second)))
    meanwhile.start()
    time.sleep(1.0)  # the second is under way while the first is uncommitted
    go_on.set()
    held.join(20)
    meanwhile.join(20)
    return outcomes["first"], outcomes["second"]
