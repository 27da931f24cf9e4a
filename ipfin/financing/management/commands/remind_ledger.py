"""`ipfin remind_ledger [--today YYYY-MM-DD]`: remind banks of feedback-ledger rows (对接台账)
past their deadline and still unanswered (a notification each, at most once a day per row).
Meant for a daily cron job; prints the number of reminders sent."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ipfin.financing.services import ledger_remind


class Command(BaseCommand):
    help = "Remind banks of overdue, unanswered financing demands in the feedback ledger."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--today", help="the day to count from (YYYY-MM-DD; default: today)", default=None
        )

    def handle(self, *args: Any, **options: Any) -> None:
        today = None
        if options["today"]:
            try:
                today = dt.date.fromisoformat(options["today"])
            except ValueError:
                raise CommandError(
                    f"--today must be YYYY-MM-DD, got {options['today']!r}"
                ) from None
        sent = ledger_remind(today=today)
        self.stdout.write(f"reminders sent: {sent}")
