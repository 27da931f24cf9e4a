"""`ipfin audit_verify`: walk the audit trail's hash chain (a daily job) and record the outcome,
shown to the office. Prints JSON; exits non-zero when the chain is broken, naming the first broken
record. (In the jobs app, whose `--async` it offers: the audit app sits below it.)"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ipfin.audit.services import audit_verify
from ipfin.jobs.commands import add_job_arguments, launched_from_command


class Command(BaseCommand):
    help = (
        "Verify the audit trail's hash chain; non-zero exit when a record was changed or removed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        add_job_arguments(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        if launched_from_command(self, "audit_verify", {}, options):
            return
        result = audit_verify()
        self.stdout.write(
            json.dumps(
                {
                    "intact": result.intact,
                    "checked": result.checked,
                    "broken_seq": result.broken_seq,
                    "broken_record_id": result.broken_record_id,
                    "reason": result.reason_en or None,
                }
            )
        )
        if not result.intact:
            raise CommandError(
                f"audit chain broken at record #{result.broken_record_id} "
                f"(seq {result.broken_seq}): {result.reason_en}"
            )
