from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from ipfin.demo.loader import DEMO_PASSWORD, load_demo


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
        summary = load_demo(data_dir=options["data_dir"], stdout=self.stdout)
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS("演示数据已就绪 / demo data ready"))
        for line in summary:
            self.stdout.write("  " + line)
        self.stdout.write("")
        self.stdout.write(f"登录 / logins (password for all: {DEMO_PASSWORD})")
        for username, what in [
            ("bank_a", "银行A 信贷员 / bank A loan officer"),
            ("bank_b", "银行B 信贷员 / bank B loan officer"),
            ("examiner", "知识产权局 审查员 / IP office examiner"),
            (
                "examiner_b",
                "知识产权局 复核审查员 / second examiner (dual control above 5,000万元)",
            ),
            ("office_admin", "知识产权局 管理员 / IP office administrator (working-day calendar)"),
            (
                "enterprise_a",
                "企业A 财务 / enterprise A finance staff (confirms pledge applications)",
            ),
            ("enterprise_d", "企业D 财务 / enterprise D finance staff"),
            ("regulator", "金融监管 分析员 / regulator analyst"),
            ("park", "园区 管委会 / park administration (files demands for member firms)"),
            ("agency", "评估机构 评估师 / valuation agency appraiser"),
            ("insurer", "保险机构 / insurer (publishes insurance products)"),
            ("guarantor", "担保机构 / guarantor (publishes guarantee products)"),
        ]:
            self.stdout.write(f"  {username:<13} {what}")
        self.stdout.write("")
        self.stdout.write(
            "Web UI: http://127.0.0.1:8000/   API docs: http://127.0.0.1:8000/api/docs"
        )
