"""Writes of a bank's internal valuation model and of an enterprise's credit profile.

Both: permission first, validation of every field (a 422 naming it), one row upserted, the audit
record with before and after. A refused update changes nothing.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from ipfin.accounts.models import OrganisationKind, User
from ipfin.accounts.permissions import Perm, acting_organisation, require
from ipfin.audit.services import audit_record
from ipfin.common.errors import PermissionDenied, invalid
from ipfin.common.inputs import optional_amount_in
from ipfin.common.money import money_str
from ipfin.common.versioning import UNSAVED, check_version
from ipfin.pledges.models import Pledge
from ipfin.valuation.domain.bank import BankModel
from ipfin.valuation.models import (
    BankValuationModel,
    EnterpriseCreditProfile,
    RatingChoices,
    TaxCreditChoices,
)
from ipfin.valuation.selectors import bank_model_of, credit_profile_of
from ipfin.valuation.services.approaches import parse_bool, parse_decimal

__all__ = ["bank_model_update", "credit_profile_update"]

_RATE_PLACES = 6


def _rate(raw: Any, field: str, low: Decimal, high: Decimal) -> Decimal:
    value = parse_decimal(raw, field)
    if not low <= value <= high:
        raise invalid(
            field,
            "valuation_input",
            f"“{field}”应在 {low} 至 {high} 之间。",
            f"{field!r} must be from {low} to {high}.",
        )
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -_RATE_PLACES:
        raise invalid(
            field,
            "valuation_input",
            f"“{field}”最多 {_RATE_PLACES} 位小数。",
            f"{field!r} has more than {_RATE_PLACES} decimal places.",
        )
    return value


def _rates(raw: Any, field: str, low: Decimal) -> dict[str, str]:
    if not isinstance(raw, dict):
        raise invalid(
            field, "valuation_input", f"“{field}”应为对象。", f"{field!r} must be an object."
        )
    return {
        str(key): str(_rate(value, f"{field}.{key}", low, Decimal(1))) for key, value in raw.items()
    }


def _model_dict(model: BankModel) -> dict[str, Any]:
    return {
        "haircuts": {k: str(v) for k, v in model.haircuts.items()},
        "max_pledge_rates": {k: str(v) for k, v in model.max_pledge_rates.items()},
        "recheck_threshold": str(model.recheck_threshold),
        "score_floor": str(model.score_floor),
    }


def bank_model_update(
    *,
    actor: User,
    version: int | None,
    haircuts: dict[str, Any] | None = None,
    max_pledge_rates: dict[str, Any] | None = None,
    recheck_threshold: Any = None,
    score_floor: Any = None,
) -> BankValuationModel:
    """Set the actor's bank's internal model; fields left None keep their value (the default
    model's, for a bank that had none). Haircuts are in [0, 1] by right kind, pledge rates in
    (0, 1] by product, the threshold in [0, 10], the floor in [0, 1]. `version` is the model's
    as the edit was made from (0: the bank has set none): another than the stored one is a 409
    `version_conflict`, none a 428 (ipfin.common.versioning); the values kept are those of the
    version locked, never of an earlier read."""
    require(actor, Perm.VALUATION_WRITE)
    if acting_organisation(actor).kind != OrganisationKind.BANK:
        raise PermissionDenied(
            "只有银行可以设置内部评估模型。",
            "Only a bank can set an internal valuation model.",
            code="forbidden",
        )
    given: dict[str, Any] = {}
    if haircuts is not None:
        given["haircuts"] = _rates(haircuts, "haircuts", Decimal(0))
    if max_pledge_rates is not None:
        rates = _rates(max_pledge_rates, "max_pledge_rates", Decimal(0))
        for product, rate in rates.items():
            if Decimal(rate) == 0:
                raise invalid(
                    f"max_pledge_rates.{product}",
                    "valuation_input",
                    "最高质押率必须大于 0。",
                    "A maximum pledge rate must be greater than 0.",
                )
        given["max_pledge_rates"] = rates
    if recheck_threshold is not None:
        given["recheck_threshold"] = str(
            _rate(recheck_threshold, "recheck_threshold", Decimal(0), Decimal(10))
        )
    if score_floor is not None:
        given["score_floor"] = str(_rate(score_floor, "score_floor", Decimal(0), Decimal(1)))
    with transaction.atomic():
        # Locked, or created (a concurrent first save waits on the bank's row, then finds it and
        # is refused as stale).
        row, created = BankValuationModel.objects.select_for_update().get_or_create(
            bank_id=actor.organisation_id
        )
        current_version = UNSAVED if created else row.version
        check_version(current=current_version, expected=version)
        current = BankModel.default() if created else bank_model_of(actor.organisation_id)
        new = _model_dict(current)
        if "haircuts" in given:
            new["haircuts"] = {**new["haircuts"], **given["haircuts"]}
        new.update({k: v for k, v in given.items() if k != "haircuts"})
        # The engine's own checks (unknown kinds, empty product codes) before anything is saved.
        BankModel(
            haircuts={k: Decimal(v) for k, v in new["haircuts"].items()},
            max_pledge_rates={k: Decimal(v) for k, v in new["max_pledge_rates"].items()},
            recheck_threshold=Decimal(new["recheck_threshold"]),
            score_floor=Decimal(new["score_floor"]),
        )
        row.haircuts = new["haircuts"]
        row.max_pledge_rates = new["max_pledge_rates"]
        row.recheck_threshold = Decimal(new["recheck_threshold"])
        row.score_floor = Decimal(new["score_floor"])
        row.updated_by = actor
        row.version = current_version + 1
        row.save()
        audit_record(
            actor=actor,
            action="valuation.bank_model_update",
            obj=row,
            object_id=row.bank_id,
            before=_model_dict(current),
            after=new,
        )
    return row


# --- the credit profile --------------------------------------------------------------------------


_PROFILE_FIELDS = (
    "rd_expense_ratio",
    "high_tech",
    "specialised_sme",
    "established_on",
    "credit_rating",
    "overdue_count_24m",
    "revenue",
    "revenue_growth",
    "debt_ratio",
    "tax_credit_grade",
)


def _profile_dict(p: EnterpriseCreditProfile) -> dict[str, Any]:
    def dec(value: Decimal | None) -> str | None:
        return str(value) if value is not None else None

    return {
        "rd_expense_ratio": dec(p.rd_expense_ratio),
        "high_tech": p.high_tech,
        "specialised_sme": p.specialised_sme,
        "established_on": p.established_on.isoformat() if p.established_on else None,
        "credit_rating": p.credit_rating or None,
        "overdue_count_24m": p.overdue_count_24m,
        "revenue": money_str(p.revenue) if p.revenue is not None else None,
        "revenue_growth": dec(p.revenue_growth),
        "debt_ratio": dec(p.debt_ratio),
        "tax_credit_grade": p.tax_credit_grade or None,
    }


def _optional_rate(raw: Any, field: str, low: Decimal, high: Decimal) -> Decimal | None:
    if raw is None or raw == "":
        return None
    return _rate(raw, field, low, high)


def _choice(raw: Any, field: str, allowed: list[str]) -> str:
    if raw is None or raw == "":
        return ""
    text = str(raw).strip().upper()
    if text not in allowed:
        raise invalid(
            field,
            "valuation_input",
            f"“{field}”应为 {'、'.join(allowed)} 之一。",
            f"{field!r} must be one of {', '.join(allowed)}.",
        )
    return text


def credit_profile_update(
    *, actor: User, uscc: str, version: int | None, today: date | None = None, **fields: Any
) -> EnterpriseCreditProfile:
    """Set facts of the enterprise `uscc`'s credit profile; only the fields given change. Who may:
    the enterprise itself, or a bank it is a customer of (the pledgee of one of its pledge
    applications, in any state) — not any bank: the profile feeds the "IP + credit" score that
    white-list screening and matching rely on, so a stranger must not be able to move it.
    Fields: rd_expense_ratio [0, 10], high_tech, specialised_sme,
    established_on (not in the future), credit_rating (AAA..C), overdue_count_24m (≥ 0),
    revenue (yuan, ≥ 0), revenue_growth (≥ −1), debt_ratio [0, 5], tax_credit_grade (A/B/M/C/D).
    `version` is the profile's as the edit was made from (0: none stored yet): another than the
    stored one is a 409 `version_conflict`, none a 428 (ipfin.common.versioning).
    """
    org, _stored = credit_profile_of(actor=actor, uscc=uscc)
    own = getattr(actor, "organisation", None)
    if actor.organisation_id != org.pk and not (
        own is not None
        and own.kind == OrganisationKind.BANK
        and Pledge.objects.filter(pledgee_id=own.pk, pledgor_id=org.pk).exists()
    ):
        raise PermissionDenied(
            "只有企业本身或其质押贷款银行可以更新企业信用信息。",
            "Only the enterprise itself or a bank it has pledged rights to can update its credit "
            "profile.",
            code="forbidden",
        )
    unknown = sorted(set(fields) - set(_PROFILE_FIELDS))
    if unknown:
        raise invalid(
            unknown[0],
            "valuation_input",
            f"未知字段“{unknown[0]}”。",
            f"Unknown field {unknown[0]!r}.",
        )
    changes = _profile_changes(fields, today or timezone.localdate())
    with transaction.atomic():
        # Locked, or created (a concurrent first save waits on the enterprise's row, then finds
        # it and is refused as stale).
        profile, created = EnterpriseCreditProfile.objects.select_for_update().get_or_create(
            organisation=org
        )
        current = UNSAVED if created else profile.version
        check_version(current=current, expected=version)
        before = None if created else _profile_dict(profile)
        if (
            "tax_credit_grade" in changes
            and changes["tax_credit_grade"] != profile.tax_credit_grade
        ):
            # Entered by hand now: it no longer comes from the imported file.
            profile.tax_credit_grade_record = None
        for field, value in changes.items():
            setattr(profile, field, value)
        profile.updated_by = actor
        profile.version = current + 1
        profile.save()
        audit_record(
            actor=actor,
            action="valuation.credit_profile_update",
            obj=profile,
            object_id=org.pk,
            before=before,
            after=_profile_dict(profile),
        )
    return profile


def _profile_changes(fields: dict[str, Any], day: date) -> dict[str, Any]:
    """The profile's new values of the `fields` given, checked (a 422 naming the first wrong
    one)."""
    changes: dict[str, Any] = {}
    if "rd_expense_ratio" in fields:
        changes["rd_expense_ratio"] = _optional_rate(
            fields["rd_expense_ratio"], "rd_expense_ratio", Decimal(0), Decimal(10)
        )
    for flag in ("high_tech", "specialised_sme"):
        if flag in fields:
            changes[flag] = parse_bool(fields[flag], flag)
    if "established_on" in fields:
        value = fields["established_on"]
        if value is not None and not isinstance(value, date):
            try:
                value = date.fromisoformat(str(value))
            except ValueError:
                raise invalid(
                    "established_on",
                    "valuation_input",
                    "成立日期应为 YYYY-MM-DD。",
                    "established_on: YYYY-MM-DD.",
                ) from None
        if value is not None and value > day:
            raise invalid(
                "established_on",
                "valuation_input",
                "成立日期不能晚于今日。",
                "established_on is in the future.",
            )
        changes["established_on"] = value
    if "credit_rating" in fields:
        changes["credit_rating"] = _choice(
            fields["credit_rating"], "credit_rating", list(RatingChoices.values)
        )
    if "tax_credit_grade" in fields:
        changes["tax_credit_grade"] = _choice(
            fields["tax_credit_grade"], "tax_credit_grade", list(TaxCreditChoices.values)
        )
    if "overdue_count_24m" in fields:
        count = parse_decimal(fields["overdue_count_24m"] or 0, "overdue_count_24m")
        if count < 0 or count != count.to_integral_value() or count > 10_000:
            raise invalid(
                "overdue_count_24m",
                "valuation_input",
                "逾期次数应为 0 至 10000 的整数。",
                "overdue_count_24m must be a whole number from 0 to 10000.",
            )
        changes["overdue_count_24m"] = int(count)
    if "revenue" in fields:
        raw = fields["revenue"]
        changes["revenue"] = optional_amount_in(raw, "revenue", positive=False, label_zh="营业收入")
    if "revenue_growth" in fields:
        changes["revenue_growth"] = _optional_rate(
            fields["revenue_growth"], "revenue_growth", Decimal(-1), Decimal(1000)
        )
    if "debt_ratio" in fields:
        changes["debt_ratio"] = _optional_rate(
            fields["debt_ratio"], "debt_ratio", Decimal(0), Decimal(5)
        )
    return changes
