"""Template filters of the web UI: money, bilingual messages, statuses and pre-check icons."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from django import template
from django.utils import timezone
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe

from ipfin.common import display
from ipfin.web.language import is_english

register = template.Library()


@register.filter
def yuan(value: Any) -> str:
    """An amount in the page's language, the unit chosen by size (ipfin.common.display):
    "9,999.99 元", "1,250.00 万元", "100.00 亿元"; "CNY 12,500,000.00" in English; "" for None."""
    return display.yuan(value, english=is_english())


@register.filter
def yuan_exact(value: Any) -> str:
    """An amount to the fen in 元 ("1,200,000.00 元" / "CNY 1,200,000.00"): schedules,
    repayments, ledgers, wherever the fen matter; "" for None."""
    return display.yuan(value, english=is_english(), exact=True)


@register.filter
def percent(value: Any) -> str:
    """A ratio as a percentage with two decimals, rounded half-up: 0.324749 → "32.47%", 1 →
    "100.00%"; "—" for None."""
    return display.percent(value)


@register.filter
def lpr_rate(lpr: Any, spread_bp: Any) -> str:
    """A price on the LPR: "3.00% + 50bp"."""
    if lpr is None or spread_bp is None:
        return "—"
    return display.lpr_rate(lpr, spread_bp)


@register.filter
def amount_range(low: Any, high: Any) -> str:
    """ "100.00 万元 至 500.00 万元", "至 500.00 万元", "100.00 万元 起" (never a dash)."""
    return display.amount_range(low, high, english=is_english()) or "—"


# A letter, an underscore and a subscript (R_t, K_t, w_i, n_rem,i): formula notation, not a code.
_SUBSCRIPT = re.compile(r"(?<![A-Za-z0-9])([A-Za-zΣ])_([A-Za-z0-9]+(?:,[a-z])?)")


@register.filter
def math(text: Any) -> SafeString:
    """Formula text with its subscripts set as subscripts: "R_t × K_t" → R<sub>t</sub> ×
    K<sub>t</sub> (escaped first: the text stays text)."""
    escaped = str(conditional_escape(text))
    return mark_safe(_SUBSCRIPT.sub(r"\1<sub>\2</sub>", escaped))  # noqa: S308 - escaped above


@register.filter
def day(value: Any) -> SafeString | str:
    """A date (or the local date of a datetime) as <time datetime="2026-12-04">2026-12-04</time>,
    which the style sheet never wraps inside a badge or a cell; "—" for None."""
    if value is None or value == "":
        return "—"
    if isinstance(value, datetime):
        value = timezone.localtime(value) if timezone.is_aware(value) else value
        value = value.date()
    if not isinstance(value, date):
        return str(value)
    iso = value.isoformat()
    return format_html('<time datetime="{}">{}</time>', iso, iso)


@register.filter
def moment(value: Any) -> SafeString | str:
    """A point in time to the minute, local time: <time>2026-12-04 09:30</time>; "—" for None."""
    if value is None or value == "":
        return "—"
    if not isinstance(value, datetime):
        return day(value)
    local = timezone.localtime(value) if timezone.is_aware(value) else value
    return format_html(
        '<time datetime="{}">{}</time>', local.isoformat(), local.strftime("%Y-%m-%d %H:%M")
    )


def field_of(obj: Any, name: str) -> Any:
    if isinstance(obj, dict):
        return obj.get(name)
    return getattr(obj, name, None)


@register.filter
def localized(obj: Any, base: str) -> str:
    """`obj.<base>_en` when the page is in English, else `obj.<base>_zh` (dicts or objects)."""
    value = field_of(obj, f"{base}_en" if is_english() else f"{base}_zh")
    if not value:
        value = field_of(obj, f"{base}_zh") or field_of(obj, base) or ""
    return str(value)


@register.filter
def attr(obj: Any, name: str) -> Any:
    """A field of a dict or an object (pre-check results come as either)."""
    return field_of(obj, name)


@register.filter
def check_outcome(check: Any) -> str:
    """ "pass", "fail" (blocking rule failed) or "warn" (advisory rule not met)."""
    if field_of(check, "passed"):
        return "pass"
    return "fail" if field_of(check, "blocking") else "warn"


@register.filter
def check_right(check: Any) -> str:
    """The right a pre-check result is about (`right_number` on results, `right` when stored)."""
    return str(field_of(check, "right_number") or field_of(check, "right") or "")
