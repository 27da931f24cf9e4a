"""`ipfin remind_ledger [--today YYYY-MM-DD]`: remind banks of feedback-ledger rows (对接台账)
past their deadline and still unanswered (a notification each, at most once a day per row).
Meant for a daily cron job; prints the number of reminders sent."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from ipfin.common.commands import add_day_argument
from ipfin.common.commands import iso_or_none as _iso
from ipfin.financing.services import ledger_remind
from ipfin.jobs.commands import add_job_arguments, launched_from_command


class Command(BaseCommand):
    help = "Remind banks of overdue, unanswered financing demands in the feedback ledger."

    def add_arguments(self, parser: CommandParser) -> None:
        add_job_arguments(parser)
        add_day_argument(parser, help="the day to count from (YYYY-MM-DD)")

    def handle(self, *args: Any, **options: Any) -> None:
        if launched_from_command(self, "remind_ledger", {"today": _iso(options["today"])}, options):
            return
        sent = ledger_remind(today=options["today"])
        self.stdout.write(f"reminders sent: {sent}")
