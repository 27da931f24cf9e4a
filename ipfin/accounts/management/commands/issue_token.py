from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ipfin.accounts.models import User
from ipfin.accounts.services import api_token_issue
from ipfin.common.errors import DomainError


class Command(BaseCommand):
    help = (
        "Print a new API bearer token for USERNAME (只保存其哈希，请妥善保管), valid for --days "
        "(default 90). List and revoke with `ipfin revoke_token`."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--days", type=int, default=None, help="validity in days (1-365)")
        parser.add_argument("--name", default="", help="what uses it, e.g. the core system")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            user = User.objects.get(username=options["username"], is_active=True)
        except User.DoesNotExist as exc:
            raise CommandError(f"no active user named {options['username']!r}") from exc
        try:
            raw = api_token_issue(user=user, days=options["days"], name=options["name"])
        except DomainError as exc:
            raise CommandError(exc.detail_en) from exc
        self.stdout.write(raw)
