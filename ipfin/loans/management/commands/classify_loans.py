"""`ipfin classify_loans [--today YYYY-MM-DD]`: the daily job that brings every disbursed loan's
days past due and five-category classification (五级分类) up to the day. Prints JSON counts."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from ipfin.common.commands import add_day_argument
from ipfin.common.commands import iso_or_none as _iso
from ipfin.jobs.commands import add_job_arguments, launched_from_command
from ipfin.loans.services import loan_classify


class Command(BaseCommand):
    help = "Update days past due and the five-category classification of every disbursed loan."

    def add_arguments(self, parser: CommandParser) -> None:
        add_job_arguments(parser)
        add_day_argument(parser, help="classify as of this day (YYYY-MM-DD)")

    def handle(self, *args: Any, **options: Any) -> None:
        if launched_from_command(
            self, "classify_loans", {"today": _iso(options["today"])}, options
        ):
            return
        counts = loan_classify(today=options["today"])
        self.stdout.write(json.dumps(counts))
