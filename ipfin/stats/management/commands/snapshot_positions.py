"""`ipfin snapshot_positions [--as-of YYYY-MM-DD] [--today YYYY-MM-DD]`: the daily job that keeps
the period-end positions the statistics read (ipfin.stats.models.PositionSnapshot): every quarter
end that is over and has no snapshot, or a stale one, is taken; `--as-of` takes that one day
(anew). Prints JSON: the days taken and the loans each holds."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ipfin.common.commands import add_day_argument
from ipfin.common.commands import iso_or_none as _iso
from ipfin.common.errors import ValidationFailed
from ipfin.jobs.commands import add_job_arguments, launched_from_command
from ipfin.stats.services import positions_snapshot_take, positions_snapshots_refresh


class Command(BaseCommand):
    help = "Snapshot every loan's balance and NPL status at each quarter end that is over."

    def add_arguments(self, parser: CommandParser) -> None:
        add_job_arguments(parser)
        add_day_argument(parser, help="the day the job runs as (YYYY-MM-DD)")
        add_day_argument(parser, "--as-of", help="snapshot this one past day (YYYY-MM-DD)")

    def handle(self, *args: Any, **options: Any) -> None:
        if launched_from_command(
            self,
            "snapshot_positions",
            {"today": _iso(options["today"]), "as_of": _iso(options["as_of"])},
            options,
        ):
            return
        today, as_of = options["today"], options["as_of"]
        try:
            if as_of is not None:
                taken = [positions_snapshot_take(as_of=as_of, today=today)]
            else:
                taken = positions_snapshots_refresh(today=today)
        except ValidationFailed as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            json.dumps({"taken": [{"as_of": s.as_of.isoformat(), "loans": s.loans} for s in taken]})
        )
