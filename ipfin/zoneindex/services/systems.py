"""Indicator systems (指标体系) and their indicators: created, edited as drafts, copied into new
versions, activated.

The life of a version: draft → active → retired. A draft is edited (its method and weighting,
its indicators added, edited, removed); activating it retires the active version of its name
(one active per name, also a constraint of the table); an active or retired version is never
edited (409 `system_not_draft`): a change is a new version, a copy of any version with its
indicators and its uploaded values (`system_new_version`), edited as a draft. Every write is
audited ("index.system_create", ...), under the IP office's `Perm.ZONE_INDEX_MANAGE`.
"""

from __future__ import annotations

import re
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from ipfin.accounts.models import User
from ipfin.accounts.permissions import Perm, require
from ipfin.audit.services import audit_record
from ipfin.common.errors import Conflict, invalid
from ipfin.zoneindex.domain import MAX_CODE_LENGTH, MAX_INDICATORS, index_options
from ipfin.zoneindex.models import (
    Dimension,
    DirectionChoices,
    IndicatorDef,
    IndicatorSource,
    IndicatorSystem,
    PlatformMetric,
    SystemState,
    WeightingChoices,
    ZoneValue,
)
from ipfin.zoneindex.services.common import locked_system, text_in, weight_in

__all__ = [
    "indicator_add",
    "indicator_edit",
    "indicator_remove",
    "system_activate",
    "system_create",
    "system_edit",
    "system_new_version",
]

MAX_NAME_LENGTH = 100
# An indicator code: a letter, then letters, digits or underscores (the key of its value in the
# uploaded workbooks and in a run's stored inputs).
CODE_PATTERN = re.compile(r"[A-Za-z][A-Za-z0-9_]*")


def _system_after(system: IndicatorSystem) -> dict[str, Any]:
    return {
        "name": system.name,
        "version": system.version,
        "method": system.method,
        "weighting": system.weighting,
        "state": system.state,
    }


def _indicator_after(indicator: IndicatorDef) -> dict[str, Any]:
    return {
        "system": indicator.system_id,
        "code": indicator.code,
        "name_zh": indicator.name_zh,
        "name_en": indicator.name_en,
        "dimension": indicator.dimension,
        "source": indicator.source,
        "platform_metric": indicator.platform_metric,
        "direction": indicator.direction,
        "weight": None if indicator.weight is None else str(indicator.weight),
    }


# --- systems -------------------------------------------------------------------------------------


def system_create(*, actor: User, name: str, method: str, weighting: str) -> IndicatorSystem:
    """Version 1 of a new indicator system, a draft without indicators. A name already taken is a
    409 `system_name_taken` (its next version is `system_new_version`)."""
    require(actor, Perm.ZONE_INDEX_MANAGE)
    title = text_in(name, "name", "指标体系名称", MAX_NAME_LENGTH)
    how, weigh = index_options(method, weighting)
    taken = Conflict(
        f"已有名为“{title}”的指标体系：请为它创建新版本。",
        f"An indicator system named {title!r} exists: make a new version of it.",
        code="system_name_taken",
    )
    with transaction.atomic():
        if IndicatorSystem.objects.filter(name=title).exists():
            raise taken
        try:
            with transaction.atomic():
                system = IndicatorSystem.objects.create(
                    name=title, version=1, method=how, weighting=weigh, created_by=actor
                )
        except IntegrityError:  # created by another request meanwhile
            raise taken from None
        audit_record(
            actor=actor, action="index.system_create", obj=system, after=_system_after(system)
        )
    return system


def system_edit(
    *, actor: User, system: IndicatorSystem, method: str, weighting: str
) -> IndicatorSystem:
    """A draft's method and weighting (409 `system_not_draft` for any other version)."""
    require(actor, Perm.ZONE_INDEX_MANAGE)
    how, weigh = index_options(method, weighting)
    with transaction.atomic():
        locked = locked_system(system, draft=True)
        before = _system_after(locked)
        locked.method, locked.weighting = how, weigh
        locked.save(update_fields=["method", "weighting"])
        audit_record(
            actor=actor,
            action="index.system_edit",
            obj=locked,
            before=before,
            after=_system_after(locked),
        )
    return locked


def system_new_version(*, actor: User, system: IndicatorSystem) -> IndicatorSystem:
    """A new draft version of the system's name (the highest version + 1), a copy of `system`
    (any version): its method, weighting, indicators and uploaded values."""
    require(actor, Perm.ZONE_INDEX_MANAGE)
    with transaction.atomic():
        # The name's versions locked: two copies made at once take consecutive versions.
        list(IndicatorSystem.objects.select_for_update().filter(name=system.name).values("pk"))
        source = IndicatorSystem.objects.get(pk=system.pk)
        top = IndicatorSystem.objects.filter(name=source.name).aggregate(v=Max("version"))["v"]
        copy = IndicatorSystem.objects.create(
            name=source.name,
            version=(top or 0) + 1,
            method=source.method,
            weighting=source.weighting,
            derived_from=source,
            created_by=actor,
        )
        indicators = IndicatorDef.objects.bulk_create(
            [
                IndicatorDef(
                    system=copy,
                    code=i.code,
                    name_zh=i.name_zh,
                    name_en=i.name_en,
                    dimension=i.dimension,
                    source=i.source,
                    platform_metric=i.platform_metric,
                    direction=i.direction,
                    weight=i.weight,
                )
                for i in source.indicators.order_by("id")
            ]
        )
        now = timezone.now()
        values = ZoneValue.objects.bulk_create(
            [
                ZoneValue(
                    system=copy,
                    year=v.year,
                    zone_id=v.zone_id,
                    code=v.code,
                    value=v.value,
                    uploaded_at=now,
                    uploaded_by=actor,
                )
                for v in source.zone_values.order_by("year", "zone_id", "code")
            ],
            batch_size=1000,
        )
        audit_record(
            actor=actor,
            action="index.system_version",
            obj=copy,
            after={
                **_system_after(copy),
                "derived_from": source.pk,
                "indicators": [i.code for i in indicators],
                "values": len(values),
            },
        )
    return copy


def system_activate(*, actor: User, system: IndicatorSystem) -> IndicatorSystem:
    """A draft becomes the active version of its name; the version active before is retired
    (both audited). Refused: a version that is not a draft (409 `system_not_draft`), a system
    without indicators (422 `system_no_indicators`), an indicator without a weight under fixed
    weighting (422 `weight_missing`, naming it)."""
    require(actor, Perm.ZONE_INDEX_MANAGE)
    with transaction.atomic():
        list(IndicatorSystem.objects.select_for_update().filter(name=system.name).values("pk"))
        locked = locked_system(system, draft=True)
        indicators = list(locked.indicators.order_by("id"))
        if not indicators:
            raise invalid(
                None,
                "system_no_indicators",
                "指标体系还没有指标，不能启用。",
                "The indicator system has no indicators: it cannot be activated.",
            )
        unweighted = [i.code for i in indicators if i.weight is None]
        if locked.weighting == WeightingChoices.FIXED and unweighted:
            raise invalid(
                "weight",
                "weight_missing",
                f"给定权重时每个指标都须有权重（缺少：{'、'.join(unweighted)}）。",
                f"With fixed weighting every indicator needs a weight (missing: "
                f"{', '.join(unweighted)}).",
                codes=unweighted,
            )
        now = timezone.now()
        for active in IndicatorSystem.objects.filter(name=locked.name, state=SystemState.ACTIVE):
            active.state, active.retired_at = SystemState.RETIRED, now
            active.save(update_fields=["state", "retired_at"])
            audit_record(
                actor=actor,
                action="index.system_retire",
                obj=active,
                before={"state": SystemState.ACTIVE},
                after={"state": SystemState.RETIRED, "replaced_by": locked.pk},
            )
        locked.state, locked.activated_at = SystemState.ACTIVE, now
        locked.save(update_fields=["state", "activated_at"])
        audit_record(
            actor=actor,
            action="index.system_activate",
            obj=locked,
            before={"state": SystemState.DRAFT},
            after=_system_after(locked),
        )
    return locked


# --- indicators ----------------------------------------------------------------------------------


def _choice(raw: Any, field: str, allowed: Any, label_zh: str) -> str:
    if raw not in allowed.values:
        values = ", ".join(allowed.values)
        raise invalid(
            field,
            f"{field}_invalid",
            f"{label_zh}须为 {values} 之一。",
            f"{field} must be one of {values}.",
            allowed=list(allowed.values),
        )
    return str(raw)


def _indicator_fields(
    system: IndicatorSystem,
    *,
    name_zh: Any,
    name_en: Any,
    dimension: Any,
    source: Any,
    platform_metric: Any,
    direction: Any,
    weight: Any,
    exclude: int | None = None,
) -> dict[str, Any]:
    """An indicator's fields, checked (422 naming the field). A platform indicator names one of
    the platform's metrics, once per system; an uploaded one none. Under fixed weighting a weight
    is required."""
    fields: dict[str, Any] = {
        "name_zh": text_in(name_zh, "name_zh", "指标名称", MAX_NAME_LENGTH),
        "name_en": text_in(name_en, "name_en", "英文名称", MAX_NAME_LENGTH),
        "dimension": _choice(dimension, "dimension", Dimension, "维度"),
        "source": _choice(source, "source", IndicatorSource, "数据来源"),
        "direction": _choice(direction, "direction", DirectionChoices, "指标方向"),
        "weight": weight_in(weight),
    }
    metric = platform_metric.strip() if isinstance(platform_metric, str) else ""
    if fields["source"] == IndicatorSource.PLATFORM:
        fields["platform_metric"] = _choice(metric, "platform_metric", PlatformMetric, "平台指标")
        others = system.indicators.filter(platform_metric=metric)
        if exclude is not None:
            others = others.exclude(pk=exclude)
        taken = others.values_list("code", flat=True).first()
        if taken is not None:
            raise invalid(
                "platform_metric",
                "platform_metric_duplicate",
                f"该平台指标已由指标“{taken}”使用。",
                f"That platform metric is already indicator {taken!r}'s.",
            )
    elif metric:
        raise invalid(
            "platform_metric",
            "platform_metric_not_allowed",
            "上报数据的指标不填平台指标。",
            "An uploaded indicator names no platform metric.",
        )
    else:
        fields["platform_metric"] = ""
    if fields["weight"] is None and system.weighting == WeightingChoices.FIXED:
        raise invalid(
            "weight",
            "weight_missing",
            "给定权重时须填写权重。",
            "With fixed weighting the indicator needs a weight.",
        )
    return fields


def indicator_add(
    *,
    actor: User,
    system: IndicatorSystem,
    code: str,
    name_zh: str,
    name_en: str,
    dimension: str,
    source: str,
    direction: str,
    platform_metric: str = "",
    weight: Any = None,
) -> IndicatorDef:
    """A new indicator of a draft (409 `system_not_draft` otherwise). Its code: a letter, then
    letters, digits or underscores, at most MAX_CODE_LENGTH, once per system (422 `code_invalid`,
    `code_duplicate`); at most MAX_INDICATORS indicators (422 `indicators_too_many`)."""
    require(actor, Perm.ZONE_INDEX_MANAGE)
    text = code.strip() if isinstance(code, str) else ""
    if not CODE_PATTERN.fullmatch(text) or len(text) > MAX_CODE_LENGTH:
        raise invalid(
            "code",
            "code_invalid",
            f"指标代码须以字母开头，由字母、数字或下划线组成，最长 {MAX_CODE_LENGTH} 个字符。",
            f"An indicator code starts with a letter and has letters, digits or underscores "
            f"only, at most {MAX_CODE_LENGTH} characters.",
        )
    with transaction.atomic():
        locked = locked_system(system, draft=True)
        if locked.indicators.filter(code=text).exists():
            raise invalid(
                "code",
                "code_duplicate",
                f"指标代码“{text}”已存在。",
                f"The indicator code {text!r} exists in this system.",
            )
        if locked.indicators.count() >= MAX_INDICATORS:
            raise invalid(
                None,
                "indicators_too_many",
                f"指标最多 {MAX_INDICATORS} 个。",
                f"At most {MAX_INDICATORS} indicators.",
            )
        fields = _indicator_fields(
            locked,
            name_zh=name_zh,
            name_en=name_en,
            dimension=dimension,
            source=source,
            platform_metric=platform_metric,
            direction=direction,
            weight=weight,
        )
        indicator = IndicatorDef.objects.create(system=locked, code=text, **fields)
        audit_record(
            actor=actor,
            action="index.indicator_add",
            obj=indicator,
            after=_indicator_after(indicator),
        )
    return indicator


def indicator_edit(
    *,
    actor: User,
    indicator: IndicatorDef,
    name_zh: str,
    name_en: str,
    dimension: str,
    source: str,
    direction: str,
    platform_metric: str = "",
    weight: Any = None,
) -> IndicatorDef:
    """An indicator of a draft, edited (its code stays: the uploaded values are keyed by it)."""
    require(actor, Perm.ZONE_INDEX_MANAGE)
    with transaction.atomic():
        locked = locked_system(indicator.system, draft=True)
        row = IndicatorDef.objects.select_for_update().get(pk=indicator.pk)
        before = _indicator_after(row)
        fields = _indicator_fields(
            locked,
            name_zh=name_zh,
            name_en=name_en,
            dimension=dimension,
            source=source,
            platform_metric=platform_metric,
            direction=direction,
            weight=weight,
            exclude=row.pk,
        )
        for name, value in fields.items():
            setattr(row, name, value)
        row.save(update_fields=list(fields))
        removed = 0
        if row.source == IndicatorSource.PLATFORM:
            # Computed from the loans from now on: an uploaded value of its code is not read.
            removed, _ = ZoneValue.objects.filter(system=locked, code=row.code).delete()
        audit_record(
            actor=actor,
            action="index.indicator_edit",
            obj=row,
            before=before,
            # The uploaded values the edit deleted, counted as the removal of an indicator counts
            # them: the trail says what went, not only what the indicator became.
            after={**_indicator_after(row), "values_removed": removed},
        )
    return row


def indicator_remove(*, actor: User, indicator: IndicatorDef) -> None:
    """An indicator of a draft removed, with the values uploaded for it in this version."""
    require(actor, Perm.ZONE_INDEX_MANAGE)
    with transaction.atomic():
        locked = locked_system(indicator.system, draft=True)
        row = IndicatorDef.objects.select_for_update().get(pk=indicator.pk)
        before = _indicator_after(row)
        removed, _ = ZoneValue.objects.filter(system=locked, code=row.code).delete()
        audit_record(
            actor=actor,
            action="index.indicator_remove",
            obj=row,
            before=before,
            after={"values_removed": removed},
        )
        row.delete()
