"""`ipfin risk_scan [--on YYYY-MM-DD]`: the daily early-warning scan (风险预警) of every right under
a pledge in force and every loan those pledges secure, as of the day (default today). Idempotent:
run twice, the second changes nothing but the alerts' last-seen day. Prints the summary as JSON
(what it read, found, created, saw again and resolved, by kind)."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from ipfin.common.commands import add_day_argument
from ipfin.common.commands import iso_or_none as _iso
from ipfin.jobs.commands import add_job_arguments, launched_from_command
from ipfin.risk.services import risk_scan


class Command(BaseCommand):
    help = "Scan pledged rights and their loans for risks; raise, refresh and close alerts."

    def add_arguments(self, parser: CommandParser) -> None:
        add_job_arguments(parser)
        add_day_argument(parser, name="--on", help="scan as of this day (YYYY-MM-DD)")

    def handle(self, *args: Any, **options: Any) -> None:
        if launched_from_command(self, "risk_scan", {"on": _iso(options["on"])}, options):
            return
        summary = risk_scan(on=options["on"] or timezone.localdate())
        self.stdout.write(json.dumps(dataclasses.asdict(summary), default=str, ensure_ascii=False))
