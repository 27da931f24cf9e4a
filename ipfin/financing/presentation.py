"""How the financing pages and the catalogue API word the products: repayment and right-kind labels,
and the side-by-side comparison as text rows. Reads nothing itself but today's LPR (through the
selectors)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ipfin.accounts.models import Organisation
from ipfin.common import display
from ipfin.financing.models import Product, ProductVersion
from ipfin.financing.selectors import annual_rates, current_terms
from ipfin.registry.models import RightKindChoices
from ipfin.web.language import is_english

REPAYMENT_LABELS = {
    "annuity": _("等额本息"),
    "equal_principal": _("等额本金"),
    "interest_only": _("先息后本"),
}
_KIND_LABELS = dict(RightKindChoices.choices)


def _range(low: Any, high: Any) -> str:
    """ "6 至 36" / "6 to 36", "至 36" without a lower bound: never a dash that reads as a minus."""
    english = is_english()
    if low is None and high is None:
        return "—"
    word_to, word_from = ("to", "from") if english else ("至", "起")
    if low is None:
        return f"{word_to} {high}"
    if high is None:
        return f"{word_from} {low}" if english else f"{low} {word_from}"
    return f"{low} {word_to} {high}"


def compare_rows(products: Sequence[Product], *, on: date | None = None) -> list[dict[str, Any]]:
    """The comparison table: one row per term, one value per product (text, as shown)."""
    day = on or timezone.localdate()
    terms = [current_terms(p) for p in products]
    rates = annual_rates(terms, on=day)

    def rate(v: ProductVersion) -> str:
        if not v.lpr_tenor or v.rate_spread_bp is None:
            return "—"
        annual = rates[v.pk]
        return v.rate_text + ("" if annual is None else f" = {display.rate_percent(annual)}")

    def pct(x: Decimal | None) -> str:
        return display.percent(x)

    english = is_english()

    # The parks by name, never their ids (one query for the products compared).
    park_ids = {pk for version in terms for pk in (version.park_ids or [])}
    park_names: dict[Any, Any] = dict(
        Organisation.objects.filter(pk__in=park_ids).values_list("pk", "name")
    )

    def money(x: Decimal | None) -> str:
        return "—" if x is None else display.yuan(x, english=english)

    def money_range(low: Decimal | None, high: Decimal | None) -> str:
        return display.amount_range(low, high, english=english) or "—"

    def listed(xs: Sequence[Any], labels: dict[str, Any] | None = None) -> str:
        if not xs:
            return "—"
        return "、".join(str((labels or {}).get(x, x)) for x in xs)

    spec: list[tuple[str, str, str, Any]] = [
        ("provider", "提供机构", "Provider", lambda p, v: p.provider.name),
        ("kind", "产品类型", "Kind", lambda p, v: str(p.get_kind_display())),
        ("version", "版本", "Version", lambda p, v: str(v.version)),
        (
            "amount",
            "金额范围",
            "Amount range",
            lambda p, v: money_range(v.amount_min, v.amount_max),
        ),
        (
            "term",
            "期限范围（月）",
            "Term range (months)",
            lambda p, v: _range(v.term_min_months, v.term_max_months),
        ),
        ("rate", "利率", "Rate", lambda p, v: rate(v)),
        ("max_pledge_rate", "最高质押率", "Max pledge rate", lambda p, v: pct(v.max_pledge_rate)),
        (
            "accepted_right_kinds",
            "接受的权利类型",
            "Accepted rights",
            lambda p, v: listed(v.accepted_right_kinds, _KIND_LABELS),
        ),
        (
            "package_allowed",
            "组合质押",
            "Packages",
            lambda p, v: "✓" if v.package_allowed else "✗",
        ),
        (
            "repayment_methods",
            "还款方式",
            "Repayment",
            lambda p, v: listed(v.repayment_methods, REPAYMENT_LABELS),
        ),
        ("regions", "适用地区", "Regions", lambda p, v: listed(v.regions)),
        ("industries", "适用行业", "Industries", lambda p, v: listed(v.industries)),
        ("park_ids", "适用园区", "Parks", lambda p, v: listed(v.park_ids, park_names)),
        ("premium_rate", "费率", "Premium / fee rate", lambda p, v: pct(v.premium_rate)),
        ("coverage_ratio", "保障比例", "Coverage ratio", lambda p, v: pct(v.coverage_ratio)),
        (
            "coverage_max",
            "最高保额",
            "Max coverage",
            lambda p, v: money(v.coverage_max),
        ),
    ]
    return [
        {
            "key": key,
            "label_zh": zh,
            "label_en": en,
            "values": [fn(p, current_terms(p)) for p in products],
        }
        for key, zh, en, fn in spec
    ]
