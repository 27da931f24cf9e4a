"""`ipfin score_portfolio`: score every right in the register (价值度 indicator score) and store
the scores set-based (see ipfin.valuation.services.scoring). A progress bar on stderr when it is
a terminal (or with --progress), a summary line on stdout."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from ipfin.common.commands import add_day_argument
from ipfin.common.errors import DomainError
from ipfin.common.progress import add_progress_argument, command_progress
from ipfin.valuation.services.scoring import portfolio_score


class Command(BaseCommand):
    help = "为登记簿中的全部知识产权计算价值度评分并批量保存（可重复运行）。"

    def add_arguments(self, parser: CommandParser) -> None:
        add_progress_argument(parser)
        add_day_argument(parser, "--on", help="评分基准日 / the scoring day (YYYY-MM-DD)")

    def handle(self, *args: Any, **options: Any) -> None:
        progress = command_progress(self, options["progress"], unit="项")
        try:
            run = portfolio_score(on=options["on"], progress=progress)
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
