from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import translation

from ipfin.demo.loader import load_demo
from ipfin.portal.demo_accounts import DEMO_LOGINS, DEMO_PASSWORD


class Command(BaseCommand):
    help = (
        "Load the demo data set (real patents from ../shared/data plus generated parties) "
        "and print the logins."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--data-dir", default=None, help="folder with the real data (default: ../shared/data)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        summary = load_demo(data_dir=options["data_dir"])
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS("演示数据已就绪 / demo data ready"))
        for line in summary:
            self.stdout.write("  " + line)
        self.stdout.write("")
        self.stdout.write(f"登录 / logins (password for all: {DEMO_PASSWORD})")
        with translation.override("zh-hans"):
            chinese = [(username, str(who)) for username, who in DEMO_LOGINS]
        with translation.override("en"):
            english = [str(who) for _, who in DEMO_LOGINS]
        for (username, zh), en in zip(chinese, english, strict=True):
            what = f"{zh} / {en}"
            self.stdout.write(f"  {username:<13} {what}")
        self.stdout.write("")
        self.stdout.write(
            "Web UI: http://127.0.0.1:8000/   API docs: http://127.0.0.1:8000/api/docs"
        )
