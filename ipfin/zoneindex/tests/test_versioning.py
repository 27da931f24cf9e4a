"""Indicator systems are versioned: a draft is edited; an active (or retired) version never is —
a change is a new version, a copy; activating one retires the name's active version.

Test names carry their source: `issue15` ("The office configures an indicator system … —
versioned")."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import IntegrityError, transaction
from django.forms.models import model_to_dict

from ipfin.accounts.models import User
from ipfin.audit.models import AuditRecord
from ipfin.common.errors import Conflict, PermissionDenied, ValidationFailed
from ipfin.zoneindex import services
from ipfin.zoneindex.models import IndicatorDef, IndicatorSystem, SystemState, ZoneValue
from ipfin.zoneindex.tests.conftest import UPLOADED, Parks

pytestmark = pytest.mark.django_db

NEW_INDICATOR = {
    "code": "firms", "name_zh": "企业数", "name_en": "Enterprises", "dimension": "industry_base",
    "source": "uploaded", "direction": "positive", "weight": "1",
}  # fmt: skip


def _snapshot(system: IndicatorSystem) -> tuple[dict[str, Any], list[dict[str, Any]], int]:
    system.refresh_from_db()
    indicators = [model_to_dict(i) for i in system.indicators.order_by("id")]
    return model_to_dict(system), indicators, ZoneValue.objects.filter(system=system).count()


def test_an_active_system_is_never_edited_issue15(
    three_indicator_system: IndicatorSystem, examiner: User
) -> None:
    system = three_indicator_system
    before = _snapshot(system)
    audits = AuditRecord.objects.count()
    rd = system.indicators.get(code="rd")
    attempts: list[Callable[[], Any]] = [
        lambda: services.indicator_add(actor=examiner, system=system, **NEW_INDICATOR),
        lambda: services.indicator_edit(
            actor=examiner,
            indicator=rd,
            name_zh="改",
            name_en="Changed",
            dimension="ip",
            source="uploaded",
            direction="negative",
            weight="3",
        ),
        lambda: services.indicator_remove(actor=examiner, indicator=rd),
        lambda: services.system_edit(
            actor=examiner, system=system, method="zscore", weighting="fixed"
        ),
        lambda: services.system_activate(actor=examiner, system=system),
    ]
    for attempt in attempts:
        with pytest.raises(Conflict) as refused:
            attempt()
        assert refused.value.code == "system_not_draft"
    assert _snapshot(system) == before
    assert AuditRecord.objects.count() == audits


def test_a_new_version_is_a_copy_with_the_values_and_activating_it_retires_the_old_issue15(
    three_indicator_system: IndicatorSystem,
    parks: Parks,
    examiner: User,
    workbook: Callable[..., Any],
) -> None:
    v1 = three_indicator_system
    services.zone_values_upload(
        actor=examiner, system=v1, year=2025, uploaded_file=workbook(UPLOADED)
    )
    v2 = services.system_new_version(actor=examiner, system=v1)
    assert (v2.name, v2.version, v2.state, v2.derived_from) == (v1.name, 2, "draft", v1)
    fields = ("code", "name_zh", "name_en", "dimension", "source", "platform_metric",
              "direction", "weight")  # fmt: skip
    assert list(v2.indicators.values_list(*fields)) == list(v1.indicators.values_list(*fields))
    copied = ZoneValue.objects.filter(system=v2).values_list("year", "zone", "code", "value")
    original = ZoneValue.objects.filter(system=v1).values_list("year", "zone", "code", "value")
    assert sorted(copied) == sorted(original) and len(copied) == 6
    # The copy is a draft: edited; the original is not touched.
    services.indicator_add(actor=examiner, system=v2, **NEW_INDICATOR)
    services.indicator_remove(actor=examiner, indicator=v2.indicators.get(code="npl"))
    assert list(v1.indicators.values_list("code", flat=True)) == ["loans", "rd", "npl"]
    assert list(v2.indicators.values_list("code", flat=True)) == ["loans", "rd", "firms"]
    assert not ZoneValue.objects.filter(system=v2, code="npl").exists()
    assert ZoneValue.objects.filter(system=v1, code="npl").count() == 3
    services.system_activate(actor=examiner, system=v2)
    v1.refresh_from_db()
    v2.refresh_from_db()
    assert (v1.state, v2.state) == (SystemState.RETIRED, SystemState.ACTIVE)
    assert v1.retired_at is not None and v2.activated_at is not None
    actions = list(
        AuditRecord.objects.filter(action__startswith="index.system_").values_list(
            "action", "object_id"
        )
    )
    assert ("index.system_version", str(v2.pk)) in actions
    assert ("index.system_retire", str(v1.pk)) in actions
    assert ("index.system_activate", str(v2.pk)) in actions
    v3 = services.system_new_version(actor=examiner, system=v1)  # any version may be copied
    assert v3.version == 3 and v3.indicators.count() == 3


def test_one_active_version_per_name_is_held_by_the_table_too(
    three_indicator_system: IndicatorSystem, examiner: User
) -> None:
    v2 = services.system_new_version(actor=examiner, system=three_indicator_system)
    with pytest.raises(IntegrityError), transaction.atomic():
        IndicatorSystem.objects.filter(pk=v2.pk).update(state=SystemState.ACTIVE)


def test_a_name_is_created_once_then_versioned(
    three_indicator_system: IndicatorSystem, examiner: User
) -> None:
    with pytest.raises(Conflict) as refused:
        services.system_create(
            actor=examiner, name="示范区指数", method="minmax", weighting="fixed"
        )
    assert refused.value.code == "system_name_taken"
    assert IndicatorSystem.objects.count() == 1


def test_activation_needs_indicators_and_under_fixed_weighting_their_weights(
    examiner: User,
) -> None:
    system = services.system_create(actor=examiner, name="新体系", method="minmax",
                                    weighting="entropy")  # fmt: skip
    with pytest.raises(ValidationFailed) as empty:
        services.system_activate(actor=examiner, system=system)
    assert empty.value.code == "system_no_indicators"
    services.indicator_add(actor=examiner, system=system, **{**NEW_INDICATOR, "weight": None})
    services.system_edit(actor=examiner, system=system, method="minmax", weighting="fixed")
    with pytest.raises(ValidationFailed) as unweighted:
        services.system_activate(actor=examiner, system=system)
    assert (unweighted.value.code, unweighted.value.extra["codes"]) == ("weight_missing", ["firms"])
    system.refresh_from_db()
    assert system.state == SystemState.DRAFT


@pytest.mark.parametrize(
    ("change", "field", "code"),
    [
        ({"code": "1abc"}, "code", "code_invalid"),
        ({"code": "rd"}, "code", "code_duplicate"),
        ({"name_zh": " "}, "name_zh", "name_zh_required"),
        ({"dimension": "economy"}, "dimension", "dimension_invalid"),
        ({"source": "platform"}, "platform_metric", "platform_metric_invalid"),
        ({"source": "platform", "platform_metric": "loan_amount"}, "platform_metric",
         "platform_metric_duplicate"),
        ({"platform_metric": "borrowers"}, "platform_metric", "platform_metric_not_allowed"),
        ({"direction": "up"}, "direction", "direction_invalid"),
        ({"weight": None}, "weight", "weight_missing"),
        ({"weight": "0"}, "weight", "weight_not_positive"),
        ({"weight": "0.0000001"}, "weight", "weight_too_precise"),
        ({"weight": "abc"}, "weight", "decimal_invalid"),
    ],
)  # fmt: skip
def test_a_wrong_indicator_is_refused_naming_the_field(
    draft_system: IndicatorSystem, examiner: User, change: dict[str, Any], field: str, code: str
) -> None:
    count = IndicatorDef.objects.count()
    with pytest.raises(ValidationFailed) as refused:
        services.indicator_add(actor=examiner, system=draft_system, **{**NEW_INDICATOR, **change})
    assert (refused.value.extra["field"], refused.value.code) == (field, code)
    assert IndicatorDef.objects.count() == count


def test_entropy_weighting_needs_minmax(examiner: User) -> None:
    with pytest.raises(ValidationFailed) as refused:
        services.system_create(actor=examiner, name="熵权", method="zscore", weighting="entropy")
    assert refused.value.code == "entropy_needs_minmax"
    assert not IndicatorSystem.objects.exists()


def test_editing_a_draft_indicator_keeps_its_code_and_is_audited(
    draft_system: IndicatorSystem, examiner: User
) -> None:
    rd = draft_system.indicators.get(code="rd")
    services.indicator_edit(
        actor=examiner, indicator=rd, name_zh="研发强度", name_en="R&D", dimension="ip",
        source="uploaded", direction="positive", weight="1.5",
    )  # fmt: skip
    rd.refresh_from_db()
    assert (rd.code, rd.name_zh, rd.dimension, str(rd.weight)) == (
        "rd",
        "研发强度",
        "ip",
        "1.500000",
    )
    audit = AuditRecord.objects.get(action="index.indicator_edit")
    assert (audit.before["weight"], audit.after["weight"]) == ("1.000000", "1.500000")


def test_switching_an_indicator_to_the_platform_counts_the_values_it_deletes_in_the_audit(
    draft_system: IndicatorSystem,
    examiner: User,
    parks: Parks,
    workbook: Callable[..., Any],
) -> None:
    """The edit deletes the uploaded values of its code (they are no longer read); its audit
    record says how many, as an indicator's removal does (it said nothing of them)."""
    services.zone_values_upload(
        actor=examiner, system=draft_system, year=2025, uploaded_file=workbook(UPLOADED)
    )
    rd = draft_system.indicators.get(code="rd")
    assert ZoneValue.objects.filter(system=draft_system, code="rd").count() == 3
    services.indicator_edit(
        actor=examiner, indicator=rd, name_zh="研发强度", name_en="R&D", dimension="ip",
        source="platform", platform_metric="loan_count", direction="positive", weight="1",
    )  # fmt: skip
    assert not ZoneValue.objects.filter(system=draft_system, code="rd").exists()
    audit = AuditRecord.objects.get(action="index.indicator_edit")
    assert audit.after["values_removed"] == 3
    assert audit.after["source"] == "platform"


def test_a_bank_configures_nothing(draft_system: IndicatorSystem, bank_a_user: User) -> None:
    before = _snapshot(draft_system)
    for attempt in (
        lambda: services.system_create(
            actor=bank_a_user, name="银行体系", method="minmax", weighting="fixed"
        ),
        lambda: services.indicator_add(actor=bank_a_user, system=draft_system, **NEW_INDICATOR),
        lambda: services.system_activate(actor=bank_a_user, system=draft_system),
        lambda: services.system_new_version(actor=bank_a_user, system=draft_system),
    ):
        with pytest.raises(PermissionDenied):
            attempt()
    assert _snapshot(draft_system) == before
    assert IndicatorSystem.objects.count() == 1
