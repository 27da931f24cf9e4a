"""`ipfin serve`: the production server — gunicorn running the WSGI application, with static files
served by WhiteNoise from the collected static folder (collected first, quickly: unchanged files
are skipped), under names hashed by their content: cached for good by browsers, sent compressed.

    ipfin serve [--bind HOST:PORT] [--workers N] [--threads N]

Defaults from the environment: IPFIN_BIND (127.0.0.1:8000), IPFIN_WEB_WORKERS (2 × cores + 1),
IPFIN_WEB_THREADS (1). Each worker thread keeps its database connection for the next request
(IPFIN_DB_CONN_MAX_AGE, default 60 seconds here, 0 elsewhere): opening one per request costs
PostgreSQL a new backend each time. Graceful restarts are gunicorn's: `kill -HUP <pid>` starts
new workers on the new code and lets the old ones finish their requests (up to 30 s);
`kill -TERM` stops after the requests in flight. The command becomes the gunicorn master
(exec), so that its pid is the one to signal."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

# Seconds a worker keeps its database connection (Django's CONN_MAX_AGE) unless
# IPFIN_DB_CONN_MAX_AGE says otherwise; the health check replaces one the server dropped.
SERVE_CONN_MAX_AGE = 60


def default_workers() -> int:
    raw = os.environ.get("IPFIN_WEB_WORKERS", "").strip()
    if raw:
        return max(1, int(raw))
    return 2 * (os.cpu_count() or 1) + 1


def gunicorn_argv(*, bind: str, workers: int, threads: int) -> list[str]:
    """The gunicorn command line `ipfin serve` runs."""
    argv = [
        sys.executable,
        "-m",
        "gunicorn",
        "config.wsgi:application",
        "--bind",
        bind,
        "--workers",
        str(workers),
        "--graceful-timeout",
        "30",
        "--timeout",
        "120",
        # Workers are replaced after a while (with jitter, not all at once): a slow leak in a
        # library cannot grow for ever.
        "--max-requests",
        "5000",
        "--max-requests-jitter",
        "500",
        "--access-logfile",
        "-",
        "--forwarded-allow-ips",
        os.environ.get("IPFIN_FORWARDED_ALLOW_IPS", "127.0.0.1"),
        # Signals are the control interface (HUP, TERM); gunicorn's control socket sits at one
        # path per user, which two servers on one machine would fight over.
        "--no-control-socket",
    ]
    if threads > 1:
        argv += ["--worker-class", "gthread", "--threads", str(threads)]
    return argv


class Command(BaseCommand):
    help = "Serve ipfin in production: gunicorn workers, static files by WhiteNoise."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--bind", default=os.environ.get("IPFIN_BIND", "127.0.0.1:8000"))
        parser.add_argument("--workers", type=int, default=None)
        parser.add_argument(
            "--threads", type=int, default=int(os.environ.get("IPFIN_WEB_THREADS", "1"))
        )
        parser.add_argument(
            "--no-collectstatic",
            action="store_true",
            help="skip collecting the static files (collected at deployment with "
            "IPFIN_STATIC_MANIFEST=1 ipfin collectstatic; without its manifest they are served "
            "under their plain names)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        # The workers (and the collection) store the static files under hashed names
        # (config/settings.py STATIC_MANIFEST): this process read its settings before, so the
        # collection runs as a command of its own with the same environment as the workers.
        if not options["no_collectstatic"]:
            os.environ["IPFIN_STATIC_MANIFEST"] = "1"
            subprocess.run(
                [sys.executable, "-m", "ipfin", "collectstatic", "--noinput", "--verbosity", "0"],
                check=True,
            )
        elif (Path(settings.STATIC_ROOT) / "staticfiles.json").exists():
            os.environ["IPFIN_STATIC_MANIFEST"] = "1"
        else:
            # Collected without the hashed names (or not at all): served as the development
            # server serves them, from the app directories too.
            self.stderr.write(
                "ipfin serve: no manifest in STATIC_ROOT: static files served under their plain "
                "names (collect with IPFIN_STATIC_MANIFEST=1 ipfin collectstatic)"
            )
        workers = options["workers"] or default_workers()
        argv = gunicorn_argv(
            bind=options["bind"], workers=max(1, workers), threads=max(1, options["threads"])
        )
        # The workers read the settings anew after the exec: they inherit this (an empty value
        # is no value).
        if not os.environ.get("IPFIN_DB_CONN_MAX_AGE", "").strip():
            os.environ["IPFIN_DB_CONN_MAX_AGE"] = str(SERVE_CONN_MAX_AGE)
        self.stdout.write(f"ipfin serve: {' '.join(argv[3:])}")
        self.stdout.flush()
        os.execv(argv[0], argv)  # noqa: S606 (our own interpreter, a fixed module: no shell)
