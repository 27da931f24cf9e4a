"""Writes of the financing catalogue, the demand library and the feedback ledger.

Each service checks the permission (`require`), validates, saves in one transaction, appends the
audit record ("product.publish", "demand.file", "ledger.respond", ...) and notifies the other
party in-app. A refused action changes nothing.

- Catalogue: `product_publish` creates version n + 1 of a product (version 1 for a new code);
  versions are never edited (`ProductVersion.save` refuses updates), so a loan keeps the terms it
  was granted on. `product_withdraw` takes a product off sale; publishing again puts it back.
  `policy_publish` / `policy_withdraw`: the IP office's and parks' policies.
- Demand library: `demand_file` (an enterprise for itself, a park for a member enterprise; the
  rights must be the enterprise's and in force), `demand_withdraw`, `demand_mark_financed` (called
  by ipfin.loans when a loan from a demand is disbursed).
- Feedback ledger (对接台账): `demand_push` sends an open demand to every bank with at least one
  eligible product (a row per bank, its best product and score, a deadline of
  `IPFIN_LEDGER_RESPONSE_DAYS` Chinese working days, default 5); `demand_respond` records the
  bank's answer; `ledger_remind` reminds banks of overdue rows (`ipfin remind_ledger`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Max, QuerySet
from django.utils import timezone

from ipfin.accounts.inputs import clean_uscc
from ipfin.accounts.models import Organisation, OrganisationKind, User
from ipfin.accounts.permissions import Perm, acting_organisation, require
from ipfin.accounts.services import notify
from ipfin.audit.services import audit_record
from ipfin.common.display import yuan_en, yuan_exact
from ipfin.common.errors import Conflict, NotFound, PermissionDenied, ValidationFailed, invalid
from ipfin.common.inputs import optional_amount_in
from ipfin.common.money import money_str
from ipfin.common.versioning import check_version
from ipfin.financing import selectors
from ipfin.financing.domain.insurance_kinds import InsuranceKind
from ipfin.financing.domain.terms import RepaymentMethod
from ipfin.financing.models import (
    Demand,
    DemandResponse,
    DemandState,
    LprTenor,
    Policy,
    PolicyKind,
    Product,
    ProductKind,
    ProductVersion,
    ResponseKind,
)
from ipfin.holidays.selectors import working_calendar
from ipfin.pledges.selectors import resolve_rights
from ipfin.registry.domain import RightKind, Status
from ipfin.registry.selectors import owner_rights, rights_status_bulk

__all__ = [
    "DEFAULT_LEDGER_RESPONSE_DAYS",
    "clean_terms",
    "demand_file",
    "demand_mark_financed",
    "demand_push",
    "demand_respond",
    "demand_withdraw",
    "ledger_remind",
    "ledger_response_days",
    "policy_publish",
    "policy_withdraw",
    "product_publish",
    "product_withdraw",
]

# The fees a fee subsidy (贴费) may pay part of: their receivers answer ipfin.loans.signals.
SUBSIDISED_FEES = ("guarantee_fee", "premium", "evaluation_fee")
DEFAULT_LEDGER_RESPONSE_DAYS = 5
MAX_TERM_MONTHS = 360
MAX_LIST_ITEMS = 50
MAX_TEXT = 2000
# Which kind of product each kind of provider publishes.
PROVIDER_KINDS: dict[str, str] = {
    OrganisationKind.BANK: ProductKind.LOAN,
    OrganisationKind.INSURER: ProductKind.INSURANCE,
    OrganisationKind.GUARANTOR: ProductKind.GUARANTEE,
}
_IN_FORCE = frozenset({Status.IN_FORCE, Status.GRACE_PERIOD})
_TERM_KEYS = (
    "description",
    "amount_min",
    "amount_max",
    "term_min_months",
    "term_max_months",
    "lpr_tenor",
    "rate_spread_bp",
    "accepted_right_kinds",
    "package_allowed",
    "max_pledge_rate",
    "repayment_methods",
    "regions",
    "park_ids",
    "industries",
    "insurance_kind",
    "premium_rate",
    "coverage_ratio",
    "coverage_max",
)


def ledger_response_days() -> int:
    """Working days a bank has to answer a pushed demand (settings.IPFIN_LEDGER_RESPONSE_DAYS)."""
    return int(getattr(settings, "IPFIN_LEDGER_RESPONSE_DAYS", DEFAULT_LEDGER_RESPONSE_DAYS))


# --- small helpers -------------------------------------------------------------------------------


def _today(today: date | None) -> date:
    return today if today is not None else timezone.localdate()


def _text(raw: Any, field: str, *, required: bool, max_length: int = MAX_TEXT) -> str:
    text = "" if raw is None else str(raw).strip()
    if required and not text:
        raise invalid(field, "required", f"请填写“{field}”。", f"{field!r} is required.")
    if len(text) > max_length:
        raise invalid(
            field,
            "validation_failed",
            f"“{field}”不能超过 {max_length} 个字符。",
            f"{field!r} may be at most {max_length} characters.",
        )
    return text


def _int(raw: Any, field: str, low: int, high: int) -> int | None:
    if raw is None or raw == "":
        return None
    if isinstance(raw, bool):
        value = None
    else:
        try:
            value = int(str(raw).strip())
        except ValueError:
            value = None
    if value is None or not low <= value <= high:
        raise invalid(
            field,
            "validation_failed",
            f"“{field}”应为 {low} 至 {high} 之间的整数。",
            f"{field!r} must be an integer between {low} and {high}.",
        )
    return value


def _fraction(
    raw: Any, field: str, *, allow_zero: bool, allow_one: bool, places: int = 6
) -> Decimal | None:
    """A fraction from 0 to 1 with at most `places` decimals: the places of the column that
    stores it (four for a pledge rate, a coverage ratio, a subsidy share), so that what is
    stored is what was published. (Six were accepted for every column; the database rounded
    0.55555 to 0.5556, looser than the bank's own term, while the audit kept 0.55555.)"""
    if raw is None or raw == "":
        return None
    if isinstance(raw, bool | float):
        value = None
    else:
        try:
            value = Decimal(str(raw).strip())
        except InvalidOperation:
            value = None
    ok = (
        value is not None
        and value.is_finite()
        and (value >= 0 if allow_zero else value > 0)
        and (value <= 1 if allow_one else value < 1)
        and value.as_tuple().exponent >= -places  # type: ignore[operator]
    )
    if not ok or value is None:
        raise invalid(
            field,
            "validation_failed",
            f"“{field}”应为 0 至 1 之间的小数（例如 0.5 表示 50%），最多 {places} 位小数。",
            f"{field!r} must be a fraction between 0 and 1 (0.5 = 50 %), at most {places} "
            "decimals.",
        )
    return value


def _str_list(raw: Any, field: str, allowed: Sequence[str] | None = None) -> list[str]:
    if raw is None or raw == "":
        return []
    if isinstance(raw, str) or not isinstance(raw, list | tuple):
        raise invalid(
            field, "validation_failed", f"“{field}”应为列表。", f"{field!r} must be a list."
        )
    items: list[str] = []
    for item in raw:
        text = str(item).strip()
        if not text or len(text) > 100:
            raise invalid(
                field,
                "validation_failed",
                f"“{field}”的每一项应为 1 至 100 个字符。",
                f"Each item of {field!r} must be 1 to 100 characters.",
            )
        if allowed is not None and text not in allowed:
            raise invalid(
                field,
                "validation_failed",
                f"“{field}”含有无效的取值“{text}”（可选：{'、'.join(allowed)}）。",
                f"{field!r} has an invalid value {text!r} (allowed: {', '.join(allowed)}).",
            )
        if text not in items:
            items.append(text)
    if len(items) > MAX_LIST_ITEMS:
        raise invalid(
            field,
            "validation_failed",
            f"“{field}”最多 {MAX_LIST_ITEMS} 项。",
            f"{field!r} may have at most {MAX_LIST_ITEMS} items.",
        )
    return items


def _park_ids(raw: Any) -> list[int]:
    if raw is None or raw == "":
        return []
    if not isinstance(raw, list | tuple):
        raise invalid(
            "park_ids", "validation_failed", "“park_ids”应为列表。", "'park_ids' must be a list."
        )
    ids = sorted({_int(x, "park_ids", 1, 2**62) or 0 for x in raw})
    parks = set(
        Organisation.objects.filter(pk__in=ids, kind=OrganisationKind.PARK).values_list(
            "pk", flat=True
        )
    )
    unknown = [i for i in ids if i not in parks]
    if unknown:
        raise invalid(
            "park_ids",
            "validation_failed",
            f"以下编号不是园区：{unknown}。",
            f"These ids are not parks: {unknown}.",
        )
    return ids


def _bool(raw: Any, field: str, default: bool) -> bool:
    if raw is None or raw == "":
        return default
    if isinstance(raw, bool):
        return raw
    if str(raw).lower() in ("true", "1", "on", "yes"):
        return True
    if str(raw).lower() in ("false", "0", "off", "no"):
        return False
    raise invalid(
        field, "validation_failed", f"“{field}”应为是或否。", f"{field!r} must be true or false."
    )


def clean_terms(kind: str, terms: Mapping[str, Any]) -> dict[str, Any]:
    """A product version's terms, validated (422 naming the field): the one path of the API's and
    the UI's input. Loans need an LPR tenor and a spread; insurance and guarantees a premium rate.
    """
    if not isinstance(terms, Mapping):
        raise invalid(
            "terms", "validation_failed", "产品条款应为对象。", "terms must be an object."
        )
    unknown = sorted(set(terms) - set(_TERM_KEYS))
    if unknown:
        raise invalid(
            unknown[0],
            "validation_failed",
            f"未知的产品条款：{'、'.join(unknown)}。",
            f"Unknown product terms: {', '.join(unknown)}.",
        )
    t: dict[str, Any] = {
        "description": _text(
            terms.get("description"), "description", required=False, max_length=5000
        ),
        "amount_min": optional_amount_in(terms.get("amount_min"), "amount_min", positive=False),
        "amount_max": optional_amount_in(terms.get("amount_max"), "amount_max"),
        "term_min_months": _int(
            terms.get("term_min_months"), "term_min_months", 1, MAX_TERM_MONTHS
        ),
        "term_max_months": _int(
            terms.get("term_max_months"), "term_max_months", 1, MAX_TERM_MONTHS
        ),
        "lpr_tenor": _text(terms.get("lpr_tenor"), "lpr_tenor", required=False, max_length=2),
        "rate_spread_bp": _int(terms.get("rate_spread_bp"), "rate_spread_bp", -300, 2000),
        "accepted_right_kinds": _str_list(
            terms.get("accepted_right_kinds"), "accepted_right_kinds", [k.value for k in RightKind]
        ),
        "package_allowed": _bool(terms.get("package_allowed"), "package_allowed", True),
        "max_pledge_rate": _fraction(
            terms.get("max_pledge_rate"),
            "max_pledge_rate",
            allow_zero=False,
            allow_one=True,
            places=4,
        ),
        "repayment_methods": _str_list(
            terms.get("repayment_methods"), "repayment_methods", [m.value for m in RepaymentMethod]
        ),
        "regions": _str_list(terms.get("regions"), "regions"),
        "park_ids": _park_ids(terms.get("park_ids")),
        "industries": _str_list(terms.get("industries"), "industries"),
        "insurance_kind": str(terms.get("insurance_kind") or ""),
        "premium_rate": _fraction(
            terms.get("premium_rate"), "premium_rate", allow_zero=True, allow_one=False
        ),
        "coverage_ratio": _fraction(
            terms.get("coverage_ratio"),
            "coverage_ratio",
            allow_zero=False,
            allow_one=True,
            places=4,
        ),
        "coverage_max": optional_amount_in(terms.get("coverage_max"), "coverage_max"),
    }
    if t["lpr_tenor"] and t["lpr_tenor"] not in LprTenor.values:
        raise invalid(
            "lpr_tenor",
            "validation_failed",
            "LPR期限应为 1y（1年期）或 5y（5年期以上）。",
            "lpr_tenor must be 1y or 5y.",
        )
    if (
        t["amount_min"] is not None
        and t["amount_max"] is not None
        and t["amount_min"] > t["amount_max"]
    ):
        raise invalid(
            "amount_min",
            "validation_failed",
            "最低金额不能高于最高金额。",
            "amount_min may not exceed amount_max.",
        )
    if (
        t["term_min_months"] is not None
        and t["term_max_months"] is not None
        and t["term_min_months"] > t["term_max_months"]
    ):
        raise invalid(
            "term_min_months",
            "validation_failed",
            "最短期限不能长于最长期限。",
            "term_min_months may not exceed term_max_months.",
        )
    if kind == ProductKind.LOAN:
        if not t["lpr_tenor"] or t["rate_spread_bp"] is None:
            raise invalid(
                "rate_spread_bp",
                "rate_required",
                "贷款产品须公布利率：LPR期限和加点（基点）。",
                "A loan product must publish its rate: the LPR tenor and the spread (bp).",
            )
    elif t["premium_rate"] is None:
        raise invalid(
            "premium_rate",
            "premium_required",
            "保险和担保产品须公布费率。",
            "Insurance and guarantee products must publish their premium or fee rate.",
        )
    kinds = {k.value for k in InsuranceKind}
    if kind == ProductKind.INSURANCE and t["insurance_kind"] not in kinds:
        raise invalid(
            "insurance_kind",
            "insurance_kind_required",
            "保险产品须注明险种：质押融资保证保险、执行保险、侵权责任保险、被侵权损失保险、"
            "专利申请费用损失保险、专利成果转化费用损失保险或海外侵权责任保险。",
            "An insurance product names its kind: " + ", ".join(sorted(kinds)) + ".",
        )
    if kind != ProductKind.INSURANCE:
        t["insurance_kind"] = ""
    return t


def _version_snapshot(v: ProductVersion) -> dict[str, Any]:
    def dec(x: Decimal | None) -> str | None:
        return None if x is None else str(x)

    return {
        "version": v.version,
        "description": v.description,
        "amount_min": dec(v.amount_min),
        "amount_max": dec(v.amount_max),
        "term_min_months": v.term_min_months,
        "term_max_months": v.term_max_months,
        "lpr_tenor": v.lpr_tenor,
        "rate_spread_bp": v.rate_spread_bp,
        "accepted_right_kinds": list(v.accepted_right_kinds),
        "package_allowed": v.package_allowed,
        "max_pledge_rate": dec(v.max_pledge_rate),
        "repayment_methods": list(v.repayment_methods),
        "regions": list(v.regions),
        "park_ids": list(v.park_ids),
        "industries": list(v.industries),
        "insurance_kind": v.insurance_kind,
        "premium_rate": dec(v.premium_rate),
        "coverage_ratio": dec(v.coverage_ratio),
        "coverage_max": dec(v.coverage_max),
    }


# --- the catalogue -------------------------------------------------------------------------------


def product_publish(
    *,
    actor: User,
    code: str,
    kind: str,
    name: str,
    terms: Mapping[str, Any],
    based_on: int | None = None,
) -> ProductVersion:
    """Publish the terms of the actor's product `code`: version 1 of a new product, else the next
    version (the earlier versions stay as they were). Puts a withdrawn product back on sale.

    Publishing appends a version and overwrites none, so it needs no version to proceed; a client
    that says which version its terms were drawn from (`based_on`: the API's If-Match, 0 for a
    product it believes new) is refused with 409 `version_conflict` when another version was
    published in between — two clerks' edits never silently supersede each other."""
    require(actor, Perm.PRODUCT_PUBLISH)
    provider = acting_organisation(actor)
    code = _text(code, "code", required=True, max_length=40)
    name = _text(name, "name", required=True, max_length=200)
    if kind not in ProductKind.values:
        raise invalid(
            "kind",
            "validation_failed",
            "产品类型应为 loan、insurance 或 guarantee。",
            "kind must be loan, insurance or guarantee.",
        )
    if PROVIDER_KINDS.get(provider.kind) != kind:
        raise invalid(
            "kind",
            "kind_not_for_provider",
            f"{provider.get_kind_display()}不能发布此类产品。",
            f"A {provider.kind} cannot publish {kind} products.",
        )
    clean = clean_terms(kind, terms)
    with transaction.atomic():
        product, created = Product.objects.select_for_update().get_or_create(
            provider=provider, code=code, defaults={"kind": kind, "name": name}
        )
        if product.kind != kind:
            raise Conflict(
                f"产品 {code} 的类型为 {product.kind}，不能改为 {kind}；请使用新的产品代码。",
                f"Product {code} is a {product.kind} product; use a new code for a {kind} one.",
                code="product_kind_changed",
            )
        before = {"name": product.name, "is_active": product.is_active}
        last = product.versions.aggregate(n=Max("version"))["n"] or 0
        if based_on is not None:
            check_version(current=last, expected=based_on)
        version = ProductVersion.objects.create(
            product=product, version=last + 1, published_by=actor, **clean
        )
        product.name = name
        product.is_active = True
        product.current_version = version
        product.save(update_fields=["name", "is_active", "current_version"])
        audit_record(
            actor=actor,
            action="product.publish",
            obj=product,
            before=None if created else before,
            after={
                "code": code,
                "kind": kind,
                "name": name,
                "version_id": version.pk,
                **_version_snapshot(version),
            },
        )
    return version


def product_withdraw(*, actor: User, product: Product) -> Product:
    """Take the actor's own product off sale (its versions stay; loans keep pointing at them)."""
    require(actor, Perm.PRODUCT_PUBLISH)
    if product.provider_id != getattr(actor, "organisation_id", None):
        raise NotFound("未找到该金融产品。", "No such product.", code="product_not_found")
    with transaction.atomic():
        locked = Product.objects.select_for_update().get(pk=product.pk)
        if not locked.is_active:
            raise Conflict(
                "产品已下架。", "The product is already withdrawn.", code="product_withdrawn"
            )
        locked.is_active = False
        locked.save(update_fields=["is_active"])
        audit_record(
            actor=actor,
            action="product.withdraw",
            obj=locked,
            before={"is_active": True},
            after={"is_active": False},
        )
    return locked


def policy_publish(
    *,
    actor: User,
    kind: str,
    title: str,
    summary: str = "",
    conditions: Mapping[str, Any] | None = None,
    subsidy_share: Any = None,
    cap_per_enterprise: Any = None,
    annual_budget: Any = None,
    year: Any = None,
    valid_from: date | None = None,
    valid_to: date | None = None,
) -> Policy:
    """Publish a policy of the actor's organisation (IP office or park). An interest subsidy (贴息)
    needs its share of interest, the cap per enterprise and year, the annual budget and the year."""
    require(actor, Perm.POLICY_PUBLISH)
    issuer = acting_organisation(actor)
    if kind not in PolicyKind.values:
        raise invalid(
            "kind",
            "validation_failed",
            "政策类型应为 subsidy、risk_compensation 或 other。",
            "kind must be subsidy, risk_compensation or other.",
        )
    if conditions is not None and not isinstance(conditions, Mapping):
        raise invalid(
            "conditions", "validation_failed", "适用条件应为对象。", "conditions must be an object."
        )
    fields: dict[str, Any] = {
        "kind": kind,
        "title": _text(title, "title", required=True, max_length=200),
        "summary": _text(summary, "summary", required=False, max_length=10_000),
        "conditions": dict(conditions or {}),
        "subsidy_share": _fraction(
            subsidy_share, "subsidy_share", allow_zero=False, allow_one=True, places=4
        ),
        "cap_per_enterprise": optional_amount_in(cap_per_enterprise, "cap_per_enterprise"),
        "annual_budget": optional_amount_in(annual_budget, "annual_budget"),
        "year": _int(year, "year", 2000, 2100),
        "valid_from": valid_from,
        "valid_to": valid_to,
    }
    if kind in (PolicyKind.SUBSIDY, PolicyKind.FEE_SUBSIDY) and (
        fields["subsidy_share"] is None or fields["annual_budget"] is None or fields["year"] is None
    ):
        raise invalid(
            "subsidy_share",
            "subsidy_terms_required",
            "贴息、贴费政策须规定补贴比例、年度预算和年度。",
            "A subsidy needs its share, its annual budget and its year.",
        )
    if kind == PolicyKind.FEE_SUBSIDY:
        fees = fields["conditions"].get("fees", list(SUBSIDISED_FEES))
        if (
            not isinstance(fees, list)
            or not fees
            or any(f not in SUBSIDISED_FEES for f in fees)
            or len(set(fees)) != len(fees)
        ):
            raise invalid(
                "conditions",
                "fees_invalid",
                "贴费政策的 fees 应列出补贴的费用：guarantee_fee（担保费）、premium（保险费）、"
                "evaluation_fee（评估费）。",
                "A fee subsidy's conditions.fees lists the fees it pays part of: guarantee_fee, "
                "premium, evaluation_fee.",
            )
    if valid_from and valid_to and valid_to < valid_from:
        raise invalid(
            "valid_to",
            "validation_failed",
            "截止日不能早于生效日。",
            "valid_to may not be before valid_from.",
        )
    with transaction.atomic():
        policy = Policy.objects.create(issuer=issuer, **fields)
        audit_record(
            actor=actor,
            action="policy.publish",
            obj=policy,
            after={k: (str(v) if isinstance(v, Decimal | date) else v) for k, v in fields.items()},
        )
    return policy


def policy_withdraw(*, actor: User, policy: Policy) -> Policy:
    require(actor, Perm.POLICY_PUBLISH)
    if policy.issuer_id != getattr(actor, "organisation_id", None):
        raise NotFound("未找到该政策。", "No such policy.", code="policy_not_found")
    with transaction.atomic():
        locked = Policy.objects.select_for_update().get(pk=policy.pk)
        locked.is_active = False
        locked.save(update_fields=["is_active"])
        audit_record(
            actor=actor,
            action="policy.withdraw",
            obj=locked,
            before={"is_active": policy.is_active},
            after={"is_active": False},
        )
    return locked


# --- the demand library --------------------------------------------------------------------------


def _demand_snapshot(demand: Demand, numbers: Sequence[str] | None = None) -> dict[str, Any]:
    if numbers is None:
        numbers = [r.number for r in demand.rights.order_by("number")]
    return {
        "state": demand.state,
        "enterprise_id": demand.enterprise_id,
        "filed_by_org_id": demand.filed_by_org_id,
        "amount": money_str(demand.amount),
        "term_months": demand.term_months,
        "purpose": demand.purpose,
        "rights": list(numbers),
        "financed_loan_id": demand.financed_loan_id,
    }


def _enterprise_for(actor: User, enterprise_uscc: str) -> Organisation:
    """The enterprise a demand is filed for: the actor's own, or a member of the actor's park."""
    code = clean_uscc(enterprise_uscc)
    org = acting_organisation(actor)
    enterprise = Organisation.objects.filter(uscc=code, kind=OrganisationKind.ENTERPRISE).first()
    if enterprise is None:
        raise invalid(
            "enterprise_uscc",
            "enterprise_unknown",
            f"统一社会信用代码为 {code} 的企业尚未在平台注册。",
            f"No enterprise with credit code {code} is registered on the platform.",
        )
    own = enterprise.pk == org.pk
    member = org.kind == OrganisationKind.PARK and enterprise.park_id == org.pk
    if not (own or member):
        raise PermissionDenied(
            "企业只能为本企业提交融资需求，园区只能为入驻企业提交。",
            "An enterprise files demands for itself, a park for its member enterprises only.",
            code="not_your_enterprise",
        )
    return enterprise


def demand_file(
    *,
    actor: User,
    enterprise_uscc: str,
    amount: Decimal | str | int,
    term_months: int,
    purpose: str,
    rights: Sequence[str],
    today: date | None = None,
) -> Demand:
    """File a financing demand of the enterprise `enterprise_uscc`, offering `rights` (numbers)
    that the enterprise owns and that are in force (a 422 naming the right otherwise)."""
    require(actor, Perm.DEMAND_FILE)
    day = _today(today)
    enterprise = _enterprise_for(actor, enterprise_uscc)
    value = optional_amount_in(amount, "amount")
    if value is None:
        raise invalid("amount", "amount_invalid", "请填写融资金额。", "The amount is required.")
    months = _int(term_months, "term_months", 1, MAX_TERM_MONTHS)
    if months is None:
        raise invalid(
            "term_months", "validation_failed", "请填写融资期限。", "The term is required."
        )
    text = _text(purpose, "purpose", required=True)
    offered = resolve_rights(list(rights))
    assert enterprise.uscc is not None  # enterprises are registered with their code
    owned = set(
        owner_rights(uscc=enterprise.uscc, on=day)
        .filter(pk__in=[r.pk for r in offered])
        .values_list("pk", flat=True)
    )
    for right in offered:
        if right.pk not in owned:
            raise ValidationFailed(
                f"知识产权 {right.number} 不属于 {enterprise.name}。",
                f"Right {right.number} is not owned by {enterprise.name}.",
                code="right_not_owned",
                extra={"right": right.number},
            )
    statuses = rights_status_bulk(offered, on=day)
    for right in offered:
        if statuses[right.pk].status not in _IN_FORCE:
            raise ValidationFailed(
                f"知识产权 {right.number} 当前不是有效状态（{statuses[right.pk].status}）。",
                f"Right {right.number} is not in force ({statuses[right.pk].status}).",
                code="right_not_in_force",
                extra={"right": right.number, "status": str(statuses[right.pk].status)},
            )
    filer = acting_organisation(actor)
    with transaction.atomic():
        demand = Demand.objects.create(
            enterprise=enterprise,
            filed_by_org=filer,
            filed_by=actor,
            amount=value,
            term_months=months,
            purpose=text,
        )
        demand.rights.set(offered)
        audit_record(
            actor=actor,
            action="demand.file",
            obj=demand,
            after=_demand_snapshot(demand, [r.number for r in offered]),
        )
        if filer.pk != enterprise.pk:
            notify(
                organisation_id=enterprise.pk,
                verb="demand.file",
                message_zh=f"{filer.name} 已代贵企业提交融资需求 #{demand.pk}"
                f"（{yuan_exact(value)}，{months} 个月）。",
                message_en=f"{filer.name} filed financing demand #{demand.pk} on your behalf "
                f"({yuan_en(value)}, {months} months).",
                obj=demand,
            )
    return demand


def _may_act_for(actor: User, demand: Demand) -> bool:
    """The enterprise of the demand, its park, or whoever filed it."""
    org_id = getattr(actor, "organisation_id", None)
    return org_id is not None and org_id in (
        demand.enterprise_id,
        demand.filed_by_org_id,
        demand.enterprise.park_id,
    )


def _demand_not_found() -> NotFound:
    return NotFound("未找到该融资需求。", "No such financing demand.", code="demand_not_found")


def _lock_demand(demand: Demand) -> Demand:
    return (
        Demand.objects.select_for_update(of=("self",))
        .select_related("enterprise")
        .get(pk=demand.pk)
    )


def _require_open(demand: Demand) -> None:
    if demand.state != DemandState.OPEN:
        raise Conflict(
            f"融资需求 #{demand.pk} 已不在对接中（{demand.get_state_display()}）。",
            f"Financing demand #{demand.pk} is no longer open ({demand.state}).",
            code="demand_not_open",
            extra={"state": demand.state},
        )


def demand_withdraw(*, actor: User, demand: Demand) -> Demand:
    """The enterprise (or its park) withdraws an open demand; banks it was pushed to are told."""
    require(actor, Perm.DEMAND_FILE)
    if not _may_act_for(actor, demand):
        raise _demand_not_found()
    with transaction.atomic():
        locked = _lock_demand(demand)
        _require_open(locked)
        before = _demand_snapshot(locked)
        locked.state = DemandState.WITHDRAWN
        locked.closed_at = timezone.now()
        locked.save(update_fields=["state", "closed_at"])
        audit_record(
            actor=actor,
            action="demand.withdraw",
            obj=locked,
            before=before,
            after=_demand_snapshot(locked, before["rights"]),
        )
        for bank_id in locked.responses.order_by("bank_id").values_list("bank_id", flat=True):
            notify(
                organisation_id=bank_id,
                verb="demand.withdraw",
                message_zh=f"融资需求 #{locked.pk}（{locked.enterprise.name}）已撤回。",
                message_en=f"Financing demand #{locked.pk} ({locked.enterprise.name}) was "
                f"withdrawn.",
                obj=locked,
            )
    return locked


def demand_mark_financed(*, demand: Demand, loan_id: int, actor: User | None = None) -> Demand:
    """Record that the loan `loan_id` financed `demand` (called by ipfin.loans on disbursement).
    Idempotent for the same loan; a 409 for a demand withdrawn or financed by another loan."""
    with transaction.atomic():
        locked = _lock_demand(demand)
        if locked.state == DemandState.FINANCED and locked.financed_loan_id == loan_id:
            return locked
        _require_open(locked)
        before = _demand_snapshot(locked)
        locked.state = DemandState.FINANCED
        locked.financed_loan_id = loan_id
        locked.closed_at = timezone.now()
        locked.save(update_fields=["state", "financed_loan_id", "closed_at"])
        audit_record(
            actor=actor,
            action="demand.financed",
            obj=locked,
            before=before,
            after=_demand_snapshot(locked, before["rights"]),
        )
        notify(
            organisation_id=locked.enterprise_id,
            verb="demand.financed",
            message_zh=f"融资需求 #{locked.pk} 已获贷款 #{loan_id} 融资。",
            message_en=f"Financing demand #{locked.pk} was financed by loan #{loan_id}.",
            obj=locked,
        )
    return locked


# --- the feedback ledger -------------------------------------------------------------------------


def demand_push(*, actor: User, demand: Demand, today: date | None = None) -> list[DemandResponse]:
    """Push an open demand to every bank with at least one eligible product (one ledger row per
    bank, its best product and score, a deadline in working days); banks already pushed to keep
    their row. Returns the new rows; a 422 `no_eligible_product` when no bank has one."""
    require(actor, Perm.DEMAND_FILE)
    if not _may_act_for(actor, demand):
        raise _demand_not_found()
    day = _today(today)
    report = selectors.demand_matches(actor=actor, demand=demand, on=day)
    best: dict[int, Any] = {}
    for match in report.eligible:  # ranked: the first per bank is its best product
        provider = report.products[match.product.product_id].provider
        if provider.kind == OrganisationKind.BANK:
            best.setdefault(provider.pk, match)
    if not best:
        raise ValidationFailed(
            "目前没有银行的产品符合该需求，未推送。",
            "No bank has a product this demand is eligible for; nothing was pushed.",
            code="no_eligible_product",
        )
    due = working_calendar().add_working_days(day, ledger_response_days())
    created: list[DemandResponse] = []
    with transaction.atomic():
        locked = _lock_demand(demand)
        _require_open(locked)
        already = set(locked.responses.values_list("bank_id", flat=True))
        for bank_id, match in sorted(best.items()):
            if bank_id in already:
                continue
            created.append(
                DemandResponse.objects.create(
                    demand=locked,
                    bank_id=bank_id,
                    product_version_id=match.product.version_id,
                    match_score=match.score,
                    due_date=due,
                )
            )
        if created:
            audit_record(
                actor=actor,
                action="demand.push",
                obj=locked,
                after={
                    "banks": [row.bank_id for row in created],
                    "rows": [row.pk for row in created],
                    "due_date": due.isoformat(),
                },
            )
        for row in created:
            notify(
                organisation_id=row.bank_id,
                verb="demand.push",
                message_zh=f"新的融资需求 #{locked.pk}：{locked.enterprise.name}，"
                f"{yuan_exact(locked.amount)}，{locked.term_months} 个月；请于 {due} 前反馈。",
                message_en=f"New financing demand #{locked.pk}: {locked.enterprise.name}, "
                f"{yuan_en(locked.amount)}, {locked.term_months} months; please answer "
                f"by {due}.",
                obj=row,
            )
    return created


_RESPONSE_TEXT = {
    ResponseKind.INTERESTED: ("有意向", "is interested"),
    ResponseKind.NEED_INFO: ("需补充材料", "needs more information"),
    ResponseKind.DECLINED: ("不予受理", "declined"),
}


def demand_respond(
    *, actor: User, response_id: int, response: str, reason: str = ""
) -> DemandResponse:
    """The bank of a ledger row answers: interested, need_info or declined (with a reason). It may
    change its answer while the demand is open. Another bank's row is a 404."""
    require(actor, Perm.DEMAND_RESPOND)
    with transaction.atomic():
        mine = DemandResponse.objects.filter(
            pk=response_id, bank_id=getattr(actor, "organisation_id", None)
        )
        demand_id = mine.values_list("demand_id", flat=True).first()
        if demand_id is None:  # first: another bank's row is a 404 whatever it sends
            raise NotFound("未找到该对接记录。", "No such ledger row.", code="ledger_not_found")
        # The demand locked first, as its withdrawal locks it: an answer and a withdrawal at
        # once are taken one after the other, and no answer is recorded on a withdrawn demand.
        demand = (
            Demand.objects.select_for_update(of=("self",))
            .select_related("enterprise")
            .get(pk=demand_id)
        )
        row = mine.select_for_update().get()
        if response not in ResponseKind.values:
            raise invalid(
                "response",
                "validation_failed",
                "反馈应为 interested、need_info 或 declined。",
                "response must be interested, need_info or declined.",
            )
        text = _text(reason, "reason", required=response == ResponseKind.DECLINED)
        _require_open(demand)
        before = {"response": row.response, "reason": row.reason}
        row.response = response
        row.reason = text
        row.answered_at = timezone.now()
        row.answered_by = actor
        row.save(update_fields=["response", "reason", "answered_at", "answered_by"])
        audit_record(
            actor=actor,
            action="ledger.respond",
            obj=row,
            before=before,
            after={"response": response, "reason": text, "demand_id": demand.pk},
        )
        zh, en = _RESPONSE_TEXT[ResponseKind(response)]
        bank = acting_organisation(actor).name
        for org_id in dict.fromkeys([demand.enterprise_id, demand.filed_by_org_id]):
            notify(
                organisation_id=org_id,
                verb="ledger.respond",
                message_zh=f"{bank} 对融资需求 #{demand.pk} 的反馈：{zh}"
                f"{'（' + text + '）' if text else ''}。",
                message_en=f"{bank} {en} on financing demand #{demand.pk}"
                f"{': ' + text if text else ''}.",
                obj=row,
            )
    return row


def ledger_rows_due(*, today: date | None = None) -> QuerySet[DemandResponse]:
    """The ledger's unanswered rows past their due date whose demand is still open."""
    day = _today(today)
    return DemandResponse.objects.filter(
        response="", due_date__lt=day, demand__state=DemandState.OPEN
    )


def ledger_remind(*, today: date | None = None, ids: tuple[int, int] | None = None) -> int:
    """Remind each bank of its unanswered rows past their due date (demand still open), at most
    once a day per row: a notification, `reminder_count` + 1. `ids` (lo, hi): only the rows with
    ids in that range (a chunk of the background job). Returns the number of reminders."""
    day = _today(today)
    now = timezone.now()
    reminded = 0
    with transaction.atomic():
        rows = (
            ledger_rows_due(today=day)
            .select_for_update(of=("self",))
            .select_related("demand__enterprise")
            .order_by("id")
        )
        if ids is not None:
            rows = rows.filter(id__gte=ids[0], id__lte=ids[1])
        for row in rows:
            if row.last_reminded_on is not None and row.last_reminded_on >= day:
                continue
            row.reminder_count += 1
            row.last_reminded_at = now
            row.last_reminded_on = day
            row.save(update_fields=["reminder_count", "last_reminded_at", "last_reminded_on"])
            audit_record(
                actor=None,
                action="ledger.remind",
                obj=row,
                after={"reminder_count": row.reminder_count, "due_date": row.due_date.isoformat()},
            )
            notify(
                organisation_id=row.bank_id,
                verb="ledger.remind",
                message_zh=f"催办：融资需求 #{row.demand_id}（{row.demand.enterprise.name}）"
                f"的反馈期限 {row.due_date} 已过，请尽快反馈（第 {row.reminder_count} 次提醒）。",
                message_en=f"Reminder: the answer to financing demand #{row.demand_id} "
                f"({row.demand.enterprise.name}) was due on {row.due_date} (reminder "
                f"{row.reminder_count}).",
                obj=row,
            )
            reminded += 1
    return reminded
