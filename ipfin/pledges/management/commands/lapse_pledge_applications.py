"""`ipfin lapse_pledge_applications [--today YYYY-MM-DD]`: the daily job that lapses every joint
application (and change application) the other party has not confirmed within its 10 working days
(专利权质押登记办法 arts. 3, 7), freeing its rights and telling both parties. Idempotent. Prints
JSON counts."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from ipfin.common.commands import add_day_argument
from ipfin.common.commands import iso_or_none as _iso
from ipfin.jobs.commands import add_job_arguments, launched_from_command
from ipfin.pledges.services import pledge_changes_lapse_unconfirmed, pledges_lapse_unconfirmed


class Command(BaseCommand):
    help = "Lapse pledge and change applications left unconfirmed past their deadline."

    def add_arguments(self, parser: CommandParser) -> None:
        add_job_arguments(parser)
        add_day_argument(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        if launched_from_command(
            self, "lapse_pledge_applications", {"today": _iso(options["today"])}, options
        ):
            return
        today = options["today"]
        counts = {
            "applications_lapsed": pledges_lapse_unconfirmed(on=today),
            "changes_lapsed": pledge_changes_lapse_unconfirmed(on=today),
        }
        self.stdout.write(json.dumps(counts))
