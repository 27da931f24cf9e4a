"""What the right's page shows, composed from the register's facts for display.

The timeline walks the right's event log and asks the pure `legal_status` (via the facts the
registry selectors load) what the register said on each date: no rule is re-implemented here, and
no query is made beyond the right's (prefetched) events.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from ipfin.common import display
from ipfin.holidays.selectors import working_calendar
from ipfin.registry.domain import RightFacts, Status, StatusResult, legal_status
from ipfin.registry.labels import (
    ANNUITY_CAVEAT,
    ANNUITY_CAVEAT_AFTER_YEAR,
    TIMELINE_EXPIRY,
    TIMELINE_EXPIRY_DETAIL,
    TIMELINE_FILED,
    TIMELINE_GRANTED,
    status_label,
)
from ipfin.registry.models import EventTypeChoices, Right, RightEvent
from ipfin.web.language import is_english, list_separator

_EVENT_LABELS = dict(EventTypeChoices.choices)


def licence_type_label(code: str) -> str:
    return {
        "exclusive": _("独占许可"),
        "sole": _("排他许可"),
        "ordinary": _("普通许可"),
    }.get(code, code)


def event_label(code: str) -> str:
    label = _EVENT_LABELS.get(code)
    return str(label) if label is not None else code


def price_text(raw: Any) -> str:
    """A recorded price (canonical text in yuan) as the `yuan` template filter shows it; not
    imported from the filter's module, which imports this one."""
    return display.yuan(Decimal(str(raw)), english=is_english())


def event_detail(event: RightEvent) -> str:
    """The event's particulars in one line (annuity year, court, licensee, new owners ...)."""
    payload: dict[str, Any] = event.payload if isinstance(event.payload, dict) else {}
    parts: list[str] = []
    match event.type:
        case "annuity_paid":
            if payload.get("year") is not None:
                parts.append(_("第 %(year)s 年年费") % {"year": payload["year"]})
            if payload.get("amount"):
                parts.append(_("金额 %(amount)s") % {"amount": price_text(payload["amount"])})
            if payload.get("late_fee") and payload.get("late_fee") != "0.00":
                parts.append(_("滞纳金 %(fee)s") % {"fee": price_text(payload["late_fee"])})
        case "term_compensation":
            if payload.get("days"):
                parts.append(_("补偿 %(days)s 天") % {"days": payload["days"]})
            if payload.get("kind") == "drug_approval":
                parts.append(_("新药上市审评审批占用时间（专利法第四十二条第三款）"))
            elif payload.get("kind") == "grant_delay":
                parts.append(_("授权过程不合理延迟（专利法第四十二条第二款）"))
        case "invalidated":
            parts.append(_("部分无效") if payload.get("scope") == "partial" else _("全部无效"))
        case "invalidation_requested":
            if payload.get("requester"):
                parts.append(_("请求人：%(who)s") % {"who": payload["requester"]})
        case "preservation" | "preservation_lifted":
            if payload.get("court"):
                parts.append(str(payload["court"]))
        case "licence":
            parts.append(licence_type_label(str(payload.get("licence_type", ""))))
            if payload.get("licensee"):
                parts.append(_("被许可人：%(who)s") % {"who": payload["licensee"]})
            if payload.get("price"):
                parts.append(_("许可使用费 %(amount)s") % {"amount": price_text(payload["price"])})
        case "transfer":
            owners = payload.get("owners") or []
            names = list_separator().join(
                str(o.get("name", "")) for o in owners if isinstance(o, dict)
            )
            if names:
                parts.append(_("受让人：%(names)s") % {"names": names})
            if payload.get("price"):
                parts.append(_("转让价款 %(amount)s") % {"amount": price_text(payload["price"])})
        case "renewed":
            if payload.get("term_until"):
                parts.append(_("续展至 %(day)s") % {"day": payload["term_until"]})
        case _:
            pass
    if payload.get("note"):
        parts.append(str(payload["note"]))
    return ("; " if is_english() else "；").join(parts)


def last_day_of_protection(status: StatusResult) -> date | None:
    """The last day the term protects the right: the day before `expiry_date` (which the domain
    gives as the first day no longer in force); None when the term cannot be computed."""
    if status.expiry_date is None:
        return None
    return status.expiry_date - timedelta(days=1)


# --- status inferred from an imported source's silence on annuities ------------------------------

# Right.source of rights the register keeps itself (the API's right_create leaves it empty, the demo
# says "demo"); anything else names the file a right was imported from ("<folder>/<file>", see
# ipfin.registry.importers.source_label).
REGISTER_SOURCES = frozenset({"", "demo", "api"})
_UNPAID_STATUSES = frozenset({Status.GRACE_PERIOD.value, Status.LAPSED.value})


def annuities_inferred(right: Right, status: StatusResult) -> bool:
    """Whether the right's grace period or lapse rests only on an imported source recording no
    later annuity payment: the register infers non-payment, the source does not state it."""
    code = getattr(status.status, "value", status.status)
    return code in _UNPAID_STATUSES and right.source not in REGISTER_SOURCES


def annuity_caveat(
    right: Right, status: StatusResult, events: list[RightEvent], *, today: date
) -> str:
    """The caveat the right's page shows under an inferred grace period or lapse ("" if none),
    naming the last annuity year the source records as paid. Presentation only: the status is
    the register's."""
    if not annuities_inferred(right, status):
        return ""
    years: list[int] = []
    for event in events:
        payload = event.payload if isinstance(event.payload, dict) else {}
        if event.type == "annuity_paid" and event.date <= today:
            try:
                years.append(int(payload.get("year")))  # type: ignore[arg-type]
            except (TypeError, ValueError):
                continue
    if not years:
        return str(ANNUITY_CAVEAT)
    return str(ANNUITY_CAVEAT_AFTER_YEAR) % {"year": max(years)}


@dataclass
class TimelineEntry:
    day: date
    label: str
    detail: str = ""
    status: str = ""  # the status code on that day, after the entry
    status_label: str = ""
    changed: bool = False  # whether the status differs from the day before
    future: bool = False
    css: list[str] = field(default_factory=list)


# Entries that are not events: the day today's status took effect, and the term's end.
_SINCE_ORDER = 10_000
_EXPIRY_ORDER = 10_001


def right_timeline(
    right: Right, facts: RightFacts, events: list[RightEvent], *, today: date
) -> list[TimelineEntry]:
    """Filing, grant, every recorded event, the day the current status took effect (lapse,
    grace period and expiry happen without an event) and the term's end, oldest first."""
    raw: list[tuple[date, int, str, str]] = [(right.filing_date, 0, str(TIMELINE_FILED), "")]
    if right.grant_date:
        raw.append((right.grant_date, 1, str(TIMELINE_GRANTED), ""))
    raw.extend(
        (event.date, 2 + index, event_label(event.type), event_detail(event))
        for index, event in enumerate(events)
    )
    calendar = working_calendar()  # a grace period's last day moves past the rest days
    current = legal_status(facts, today, calendar)
    event_days = {day for day, *_rest in raw}
    expired_by_term = current.status is Status.EXPIRED and current.since == current.expiry_date
    if current.since and current.since not in event_days and not expired_by_term:
        raw.append((current.since, _SINCE_ORDER, status_label(current.status), ""))
    last_day = last_day_of_protection(current)
    if current.expiry_date is not None and last_day and current.expiry_date not in event_days:
        # Dated on the first day no longer in force, and naming the last day protected, so the
        # date cannot be read as the last day of the term.
        until = last_day.strftime("%Y-%m-%d")
        detail = str(TIMELINE_EXPIRY_DETAIL) % {"day": until}
        raw.append((current.expiry_date, _EXPIRY_ORDER, str(TIMELINE_EXPIRY), detail))
    raw.sort(key=lambda r: (r[0], r[1]))
    entries: list[TimelineEntry] = []
    previous: str | None = None
    for day, order, label, detail in raw:
        if order == _SINCE_ORDER:
            # A lapse takes effect from the unpaid due date although the register only shows it
            # once the grace period has run out: the effect is today's status, from that day.
            status = current.status
        elif day > today and order == _EXPIRY_ORDER:
            # The term's end ahead: its effect is expiry, whatever annuities fall due meanwhile.
            status = Status.EXPIRED
        else:
            status = legal_status(facts, day, calendar).status
        entries.append(
            TimelineEntry(
                day=day,
                label=label,
                detail=detail,
                status=status.value,
                status_label=status_label(status),
                changed=status.value != previous,
                future=day > today,
            )
        )
        previous = status.value
    return entries
