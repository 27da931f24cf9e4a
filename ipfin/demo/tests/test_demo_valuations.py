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


def test_the_demo_register_scores_discriminate(demo_output):
    """Issue 14 on the register built from ../shared/data: the grades are spread by the run's own
    calibration (no grade holds more than 60% of the rights), every cohort holds at least the
    minimum or the whole kind, and the scores are no longer stuck at 50 (median below the upper
    quartile)."""
    import numpy as np

    from ipfin.registry.models import Right
    from ipfin.valuation.domain.cohorts import COHORT_BASES
    from ipfin.valuation.models import RightScore, ScoreRun

    rows = list(RightScore.objects.values_list("score", "grade", "cohort_basis", "cohort_size"))
    assert len(rows) == Right.objects.count() > 500
    run = ScoreRun.objects.order_by("-pk").first()
    assert run is not None and run.min_cohort == 30 and len(run.grade_thresholds) == 3
    grades = [grade for _score, grade, _basis, _size in rows]
    assert max(grades.count(g) for g in "ABCD") <= 0.6 * len(rows)
    assert all(grades.count(g) > 0 for g in "ABCD")
    kind = COHORT_BASES.index("kind")
    assert all(size >= 30 for _s, _g, basis, size in rows if basis != kind)
    scores = np.array([score for score, *_ in rows])
    q1, median, q3 = np.percentile(scores, [25, 50, 75])
    assert q1 < median < q3
