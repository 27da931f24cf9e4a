"""`ipfin deliver_webhooks [--every SECONDS]`: send the change feed's deliveries that are due
(new events fanned out to the webhooks subscribed to them, failed ones whose wait is over).
Prints JSON counts. Once by default (cron, or Celery beat every minute); `--every` repeats it
until interrupted (a process beside the web server)."""

from __future__ import annotations

import json
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from ipfin.feed.services import webhooks_deliver


class Command(BaseCommand):
    help = "Deliver the change feed's webhooks that are due."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--limit", type=int, default=500, help="at most this many tries a run")
        parser.add_argument(
            "--every", type=float, default=0, help="repeat every SECONDS until interrupted"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        while True:
            run = webhooks_deliver(limit=max(1, options["limit"]))
            self.stdout.write(json.dumps(run.as_dict()))
            if options["every"] <= 0:
                return
            time.sleep(options["every"])
