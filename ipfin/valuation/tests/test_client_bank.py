"""Who may name a client bank (委托银行) on a valuation: a valuation agency (the bank engaged it),
or a bank naming itself for its own valuation — never a bank naming another bank, whose figure
would otherwise reach that bank as a report made for it (and could back its loans). Service, API
and page; a refusal stores, audits and notifies nothing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from ipfin.accounts.models import Notification, Organisation, User
from ipfin.audit.models import AuditRecord
from ipfin.common.errors import PermissionDenied
from ipfin.registry.models import Right
from ipfin.valuation.models import Valuation
from ipfin.valuation.services import valuation_create, valuation_issue, valuation_recheck

pytestmark = pytest.mark.django_db

# 90,000,000 × (1 + 0.125) × 8/10 = 81,000,000.00 (the finding's figure).
COST = {"cost": "90000000", "profit_rate": "0.125", "used_years": "2", "remaining_years": "8"}


def _cost(actor: User, right: Right, client_bank_uscc: str | None) -> Valuation:
    return valuation_create(
        actor=actor,
        rights=[right.number],
        method="cost",
        inputs=COST,
        client_bank_uscc=client_bank_uscc,
    )


def _nothing_written() -> None:
    assert not Valuation.objects.exists()
    assert not AuditRecord.objects.filter(action__startswith="valuation.").exists()
    assert not Notification.objects.filter(verb__startswith="valuation.").exists()


def test_a_bank_naming_another_bank_as_client_bank_is_403(
    bank_a: Organisation, bank_b_user: User, make_right: Callable[..., Right]
) -> None:
    with pytest.raises(PermissionDenied) as err:
        _cost(bank_b_user, make_right(), bank_a.uscc)
    assert (err.value.status, err.value.code) == (403, "client_bank_not_allowed")
    _nothing_written()


def test_a_bank_naming_another_bank_over_the_api_is_403(
    bank_a: Organisation, bank_b_api: Any, make_right: Callable[..., Right]
) -> None:
    right = make_right()
    resp = bank_b_api.post_json(
        "/api/v1/valuations",
        {
            "rights": [right.number],
            "method": "cost",
            "inputs": COST,
            "client_bank_uscc": bank_a.uscc,
        },
    )
    assert resp.status_code == 403, resp.content
    assert resp.json()["code"] == "client_bank_not_allowed"
    _nothing_written()


def test_a_bank_naming_another_bank_on_the_calculator_page_is_403_on_the_field(
    bank_a: Organisation, bank_b_user: User, make_right: Callable[..., Right]
) -> None:
    right = make_right()
    client = Client()
    client.force_login(bank_b_user)
    resp = client.post(
        f"/valuations/right/{right.number}/",
        {
            "method": "cost",
            "cost": "90000000",
            "profit_rate": "12.5",
            "used_years": "2",
            "remaining_years": "8",
            "save": "1",
            "client_bank_uscc": bank_a.uscc,
        },
    )
    assert resp.status_code == 403
    assert 'id="err-client_bank_uscc" class="field-error"><ul class="errorlist"' in (
        resp.content.decode()
    )
    _nothing_written()


def test_an_agency_names_any_bank_and_a_bank_only_itself(
    bank_a: Organisation,
    bank_a_user: User,
    bank_b: Organisation,
    agency_user: User,
    make_right: Callable[..., Right],
) -> None:
    right = make_right()
    for bank in (bank_a, bank_b):
        assert _cost(agency_user, right, bank.uscc).client_bank_id == bank.pk
    own = _cost(bank_a_user, right, bank_a.uscc)  # its own valuation: maker IS the client bank
    assert (own.organisation_id, own.client_bank_id) == (bank_a.pk, bank_a.pk)
    assert _cost(bank_a_user, right, None).client_bank_id is None


def test_the_maker_never_rechecks_its_own_valuation(
    bank_a: Organisation, bank_a_user: User, make_right: Callable[..., Right]
) -> None:
    right = make_right()
    own = valuation_issue(actor=bank_a_user, valuation=_cost(bank_a_user, right, bank_a.uscc))
    with pytest.raises(PermissionDenied):
        valuation_recheck(
            actor=bank_a_user, valuation=own, reference_values={right.number: "81000000"}
        )
    own.refresh_from_db()
    assert (own.state, own.internal_value, own.flagged) == ("issued", None, False)
    assert not AuditRecord.objects.filter(action="valuation.recheck").exists()
    # Nor does its page offer the recheck.
    client = Client()
    client.force_login(bank_a_user)
    assert (
        'data-testid="valuation-recheck"'
        not in client.get(f"/valuations/{own.pk}/").content.decode()
    )
