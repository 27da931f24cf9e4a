"""`ipfin second_factor require|off CREDIT_CODE` and `ipfin second_factor reset USERNAME`: the
operator's hand on the second factor, for when no administrator of the organisation can act (the
administrator lost their own phone and recovery codes). Audited like the page's actions, with no
acting user."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ipfin.accounts.inputs import clean_uscc
from ipfin.accounts.models import Organisation, User
from ipfin.accounts.services import organisation_second_factor_set, second_factor_reset
from ipfin.common.errors import DomainError


class Command(BaseCommand):
    help = (
        "require/off CREDIT_CODE: turn an organisation's second-factor requirement on or off; "
        "reset USERNAME: remove a user's authenticator and recovery codes."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("what", choices=["require", "off", "reset"])
        parser.add_argument("target", help="the organisation's credit code, or the username")

    def handle(self, *args: Any, **options: Any) -> None:
        target = options["target"]
        if options["what"] == "reset":
            user = User.objects.filter(username=target).first()
            if user is None:
                raise CommandError(f"no user named {target!r}")
            second_factor_reset(actor=None, user=user)
            self.stdout.write(f"{user.username}: authenticator and recovery codes removed")
            return
        try:
            code = clean_uscc(target)
        except DomainError as exc:
            raise CommandError(exc.detail_en) from exc
        org = Organisation.objects.filter(uscc=code).first()
        if org is None:
            raise CommandError(f"no organisation with credit code {code}")
        required = options["what"] == "require"
        organisation_second_factor_set(actor=None, organisation=org, required=required)
        self.stdout.write(f"{org.name}: second factor {'required' if required else 'not required'}")
