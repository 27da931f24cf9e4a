"""The demo's deliverer: without Celery (no broker, `make demo`), the development server delivers
the change feed's webhooks itself, once a minute, in a daemon thread of the serving process.

Started only in the development server's serving process (runserver's reloaded child), never in
a management command, a test, `ipfin serve` or a Celery worker: in production beat sends
`ipfin.feed.deliver` every minute (config.settings CELERY_BEAT_SCHEDULE), or cron runs
`ipfin deliver_webhooks`."""

from __future__ import annotations

import logging
import os
import sys
import threading

from django.conf import settings

log = logging.getLogger(__name__)
_started = threading.Event()
INTERVAL_SECONDS = 60.0


def _serving() -> bool:
    command = sys.argv[1] if len(sys.argv) > 1 else ""
    if command == "runserver":
        # The autoreloader runs the server in a child marked RUN_MAIN; --noreload in this one.
        return os.environ.get("RUN_MAIN") == "true" or "--noreload" in sys.argv
    return False


def _loop(stop: threading.Event) -> None:
    from django.db import close_old_connections

    from ipfin.feed.services import webhooks_deliver

    while not stop.wait(INTERVAL_SECONDS):
        # A connection the database dropped since the last minute is replaced, not reused.
        close_old_connections()
        try:
            run = webhooks_deliver()
            if run.tried:
                log.info("webhooks delivered: %s", run.as_dict())
        except Exception:  # a bad minute must not end the loop (the next run tries again)
            log.exception("webhook delivery failed")


def start_if_serving() -> bool:
    """Start the thread once, in a serving process without a broker, when the setting asks
    (default: under `make demo`). Answers whether it runs."""
    if not settings.IPFIN_WEBHOOK_DELIVER_IN_PROCESS or getattr(settings, "CELERY_BROKER_URL", ""):
        return False
    if not _serving() or _started.is_set():
        return _started.is_set()
    _started.set()
    threading.Thread(
        target=_loop, args=(threading.Event(),), name="ipfin-webhooks", daemon=True
    ).start()
    return True
