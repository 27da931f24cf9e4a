"""The demo's valuations: a valuation agency with a working login, GB/T 42748-2023's three
approaches, an issued report waiting for the client bank, and a recheck that flags a report, all
written through the services (each with its audit trail)."""

from __future__ import annotations

from decimal import Decimal
from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command

from ipfin.accounts.models import OrganisationKind
from ipfin.audit.models import AuditRecord
from ipfin.demo.loader import DEMO_PASSWORD
from ipfin.valuation.models import Valuation

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_output() -> str:
    out = StringIO()
    call_command("load_demo", stdout=out)
    return out.getvalue()


def test_demo_has_a_valuation_agency_login(demo_output):
    assert "agency" in demo_output
    user = authenticate(username="agency", password=DEMO_PASSWORD)
    assert user is not None
    assert user.organisation.kind == OrganisationKind.VALUATION_AGENCY


def test_demo_valuations_cover_the_approaches_and_states(demo_output):
    assert set(Valuation.objects.values_list("method", flat=True)) >= {"income", "cost", "market"}
    assert set(Valuation.objects.values_list("state", flat=True)) == {
        "draft",
        "issued",
        "rechecked",
    }
    bank_a = Valuation.objects.filter(client_bank__users__username="bank_a")
    # the agency's income report on bank A's pledged chip patent waits for bank A's recheck
    waiting = bank_a.get(state="issued")
    assert waiting.organisation.kind == OrganisationKind.VALUATION_AGENCY
    assert waiting.method == "income"
    mc = waiting.result["monte_carlo"]
    assert Decimal(mc["p10"]) <= Decimal(mc["p50"]) <= Decimal(mc["p90"])
    assert waiting.rights.get().pledge_items.filter(pledge__state="registered").exists()
    # bank A's recheck flagged the inflated report
    flagged = bank_a.get(state="rechecked")
    assert flagged.flagged
    assert flagged.deviation > flagged.threshold
    for valuation in Valuation.objects.all():
        assert AuditRecord.objects.filter(
            object_type="valuation.valuation", object_id=str(valuation.pk)
        ).exists()


def test_demo_calculator_has_comparables_from_the_register(demo_output):
    from django.utils import timezone

    from ipfin.registry.models import Right
    from ipfin.valuation.selectors import market_comparables

    today = timezone.localdate()
    bus = Right.objects.get(source="demo", title="片上网络路由仲裁方法")  # G06F15/78
    found = market_comparables(right=bus, on=today)
    # The map-tiling licence (G06T: same class G06) first, then section G's transfer and licence.
    assert [c["similarity"] for c in found] == ["class", "section", "section"]
    assert found[0]["is_licence"] and found[0]["event"]["price"] == "450000.00"
    assert {c["event"]["type"] for c in found} == {"licence", "transfer"}
    transfer = next(c for c in found if c["event"]["type"] == "transfer")
    assert transfer["event"]["price"] == "2800000.00"
    # The optics patent's holder history: the institute first, enterprise D since the transfer.
    optics = Right.objects.get(number=transfer["number"])
    holders = list(optics.owners.order_by("valid_from").values_list("name", flat=True))
    assert holders == ["示范光电技术研究院", "深圳创维光电技术有限公司"]
