from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ipfin.accounts.models import User
from ipfin.accounts.services import api_token_issue


class Command(BaseCommand):
    help = "Print a new API bearer token for USERNAME (只保存其哈希，请妥善保管)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            user = User.objects.get(username=options["username"], is_active=True)
        except User.DoesNotExist as exc:
            raise CommandError(f"no active user named {options['username']!r}") from exc
        self.stdout.write(api_token_issue(user=user))
