"""`ipfin import_patents PATH...`: load patent / trademark exports into the register.

PATH is a file or a directory (every recognised .csv / .json under it, recursively). Bad rows are
listed on stderr with file, row number and reason, the good rows load, and a summary follows on
stdout; `--report FILE` also writes the bad rows as CSV, and the loaded rows whose owners differ
from the register's (kept: an import never transfers a right). The exit status is 0 unless there
were bad rows and not one row could be loaded (a file that is all errors is a failed import; rows
skipped on purpose, such as other jurisdictions, are not errors). See ipfin.registry.importers.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from ipfin.common.progress import add_progress_argument, command_progress
from ipfin.registry.import_mapping import Problem
from ipfin.registry.importers import (
    DEFAULT_BATCH_SIZE,
    ImportInterrupted,
    ImportPathError,
    ImportSummary,
    rights_import,
)

SKIP_LABELS = {
    Problem.NO_APPLICATION_NUMBER.value: "无申请号",
    Problem.NOT_CN.value: "非中国专利",
    Problem.SUPERSEDED_IN_FILE.value: "以同一文件中的授权记录为准",
}


class Command(BaseCommand):
    help = "导入专利 / 商标数据（文件或目录）到登记簿：可重复运行，错误行单独报告。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("paths", nargs="+", metavar="PATH", help="数据文件或目录")
        add_progress_argument(parser)
        parser.add_argument(
            "--report", metavar="FILE", help="把错误行及权利人与登记簿不同的行写入此 CSV 文件"
        )
        parser.add_argument("--batch-size", type=int, default=DEFAULT_BATCH_SIZE)

    def handle(self, *args: Any, **options: Any) -> None:
        progress = command_progress(self, options["progress"], unit="行")
        if options["batch_size"] < 1:
            raise CommandError(_("--batch-size 必须为正整数"))
        try:
            summary = rights_import(
                actor=None,
                paths=[Path(p) for p in options["paths"]],
                batch_size=options["batch_size"],
                progress=progress,
            )
        except ImportPathError as exc:
            raise CommandError(str(exc)) from exc
        except ImportInterrupted as exc:
            # How far each file got, and its rows to look into so far, before the reason.
            self._report(exc.summary, options["report"])
            raise CommandError(str(exc)) from exc
        finally:
            if progress is not None:
                progress.finish()
        self._report(summary, options["report"])
        if summary.bad and not summary.loaded:
            raise CommandError(_("所有行均有错误，未导入任何数据"))

    def _report(self, summary: ImportSummary, report: str | None) -> None:
        for result, problem in summary.reported_rows():
            self.stderr.write(
                _("%(file)s 第 %(row)s 行：%(reason)s")
                % {"file": result.source, "row": problem.row, "reason": problem.message_zh}
            )
        if report:
            # With a byte-order mark, as every CSV the platform writes: Excel in a Chinese
            # locale reads the reasons as UTF-8 only then.
            with open(report, "w", encoding="utf-8-sig", newline="") as out:
                summary.write_report(out)
        self._print_summary(summary, report)

    def _print_summary(self, summary: ImportSummary, report: str | None) -> None:
        write = self.stdout.write
        for result in summary.files:
            write(
                _(
                    "%(source)s：读取 %(rows)s 行，新建 %(created)s，更新 %(updated)s，"
                    "未变 %(unchanged)s，跳过 %(skipped)s，错误 %(bad)s"
                )
                % {
                    "source": result.source,
                    "rows": result.rows,
                    "created": result.created,
                    "updated": result.updated,
                    "unchanged": result.unchanged,
                    "skipped": sum(result.skipped.values()),
                    "bad": len(result.bad),
                }
            )
        for path in summary.ignored:
            write(_("%(path)s：格式无法识别，已忽略") % {"path": path})
        write(
            _(
                "合计：文件 %(files)s 个，读取 %(rows)s 行，新建 %(created)s，更新 %(updated)s，"
                "未变 %(unchanged)s，错误 %(bad)s"
            )
            % {
                "files": len(summary.files),
                "rows": summary.rows,
                "created": summary.created,
                "updated": summary.updated,
                "unchanged": summary.unchanged,
                "bad": summary.bad,
            }
        )
        skipped = summary.skipped
        if skipped:
            reasons = "，".join(
                f"{SKIP_LABELS.get(code, code)} {n}" for code, n in sorted(skipped.items())
            )
            write(
                _("跳过 %(total)s 行：%(reasons)s")
                % {"total": sum(skipped.values()), "reasons": reasons}
            )
        if summary.bad:
            by_code: dict[str, int] = {}
            for _result, problem in summary.bad_rows():
                by_code[problem.code.value] = by_code.get(problem.code.value, 0) + 1
            reasons = "，".join(f"{code} {n}" for code, n in sorted(by_code.items()))
            write(_("错误 %(total)s 行：%(reasons)s") % {"total": summary.bad, "reasons": reasons})
        if summary.owners_differ:
            write(
                _("权利人与登记簿不同 %(total)s 行：已导入其余内容，登记簿的权利人未改（见明细）")
                % {"total": summary.owners_differ}
            )
        if report and (summary.bad or summary.owners_differ):
            write(_("错误明细已写入 %(report)s") % {"report": report})
