"""`ipfin celery ...`: Celery's own command line on the project's app (config.celery), e.g.
`ipfin celery worker -l info --concurrency 2`, `ipfin celery beat -l info`,
`ipfin celery inspect active`. Every argument goes to Celery as it is."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Celery's command line on ipfin's app: worker, beat, inspect, …"

    def run_from_argv(self, argv: list[str]) -> None:
        # argv: [program, "celery", *celery's own arguments]: not parsed by Django.
        from config.celery import app

        code = app.start(argv[2:])
        if code:
            sys.exit(code)

    def handle(self, *args: Any, **options: Any) -> None:  # call_command("celery") only
        self.run_from_argv(["ipfin", "celery", *args])
