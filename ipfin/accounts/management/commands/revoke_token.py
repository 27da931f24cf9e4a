"""`ipfin revoke_token USERNAME [--all] [-- PREFIX ...]`: list a user's API tokens, or revoke some
(by the prefix `issue_token` printed; write `--` before the prefixes, since one may begin with
"-") or all of them (a leaked token, a system retired)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ipfin.accounts.models import User
from ipfin.accounts.selectors import api_tokens_of
from ipfin.accounts.services import api_token_revoke


class Command(BaseCommand):
    help = "List USERNAME's API tokens; revoke those with the given prefixes, or --all."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("prefixes", nargs="*", help="the tokens' first 8 characters")
        parser.add_argument("--all", action="store_true", help="revoke every token of the user")

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"no user named {options['username']!r}")
        tokens = list(api_tokens_of(actor=user))
        chosen = [t for t in tokens if options["all"] or t.prefix in options["prefixes"]]
        unknown = set(options["prefixes"]) - {t.prefix for t in tokens}
        if unknown:
            raise CommandError(f"no token of {user.username} with prefix {sorted(unknown)}")
        for token in chosen:
            api_token_revoke(actor=user, token=token)
        for token in api_tokens_of(actor=user):
            state = "revoked" if token.revoked_at else f"expires {token.expires_at:%Y-%m-%d}"
            self.stdout.write(f"{token.prefix}  {token.name or '-':<20} {state}")
