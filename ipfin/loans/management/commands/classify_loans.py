"""`ipfin classify_loans [--today YYYY-MM-DD]`: the daily job that brings every disbursed loan's
days past due and five-category classification (五级分类) up to the day. Prints JSON counts."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ipfin.loans.services import loan_classify


class Command(BaseCommand):
    help = "Update days past due and the five-category classification of every disbursed loan."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--today", help="classify as of this day (YYYY-MM-DD); default today")

    def handle(self, *args: Any, **options: Any) -> None:
        today = None
        if options.get("today"):
            try:
                today = date.fromisoformat(options["today"])
            except ValueError as exc:
                raise CommandError(f"--today must be YYYY-MM-DD: {options['today']!r}") from exc
        counts = loan_classify(today=today)
        self.stdout.write(json.dumps(counts))
