"""`ipfin score_portfolio`: score every right in the register (价值度 indicator score) and store
the scores set-based (see ipfin.valuation.services.scoring). A progress bar on stderr when it is
a terminal (or with --progress), a summary line on stdout."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from ipfin.common.commands import add_day_argument
from ipfin.common.commands import iso_or_none as _iso
from ipfin.common.errors import DomainError
from ipfin.common.progress import add_progress_argument, command_progress
from ipfin.jobs.commands import add_job_arguments, launched_from_command
from ipfin.valuation.presentation import COHORT_BASIS_LABELS
from ipfin.valuation.services.scoring import portfolio_score


class Command(BaseCommand):
    help = "为登记簿中的全部知识产权计算价值度评分并批量保存（可重复运行）。"

    def add_arguments(self, parser: CommandParser) -> None:
        add_job_arguments(parser)
        add_progress_argument(parser)
        add_day_argument(parser, "--on", help="评分基准日 / the scoring day (YYYY-MM-DD)")
        parser.add_argument(
            "--min-cohort",
            type=int,
            default=None,
            help="比较队列的最小规模（默认 IPFIN_SCORE_MIN_COHORT）/ the minimum cohort size",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if launched_from_command(
            self,
            "score_portfolio",
            {"on": _iso(options["on"]), "min_cohort": options["min_cohort"]},
            options,
        ):
            return
        progress = command_progress(self, options["progress"], unit="项")
        try:
            run = portfolio_score(
                on=options["on"], progress=progress, min_cohort=options["min_cohort"]
            )
        except DomainError as exc:
            raise CommandError(exc.detail_zh) from exc
        finally:
            if progress is not None:
                progress.finish()
        seconds = run.seconds or {}
        self.stdout.write(
            _(
                "评分完成：%(n)s 项知识产权，读取 %(read).2f 秒，评分 %(score).2f 秒，"
                "写入 %(write).2f 秒（批次 #%(run)s）"
            )
            % {
                "n": run.rights_scored,
                "read": seconds.get("read", 0.0),
                "score": seconds.get("score", 0.0),
                "write": seconds.get("write", 0.0),
                "run": run.pk,
            }
        )
        spread = run.spread
        if spread:
            self.stdout.write(
                _(
                    "分布：A %(A)s、B %(B)s、C %(C)s、D %(D)s；下四分位 %(q1).1f，中位数 "
                    "%(q2).1f，上四分位 %(q3).1f（四分位距 %(iqr).1f），最低 %(low).1f，最高 "
                    "%(high).1f；比较队列 %(basis)s"
                )
                % {
                    **spread["grades"],
                    **{k: spread[k] for k in ("q1", "q2", "q3", "iqr", "low", "high")},
                    "basis": "，".join(
                        f"{COHORT_BASIS_LABELS[basis]} {count}"
                        for basis, count in spread["basis"].items()
                    ),
                }
            )
