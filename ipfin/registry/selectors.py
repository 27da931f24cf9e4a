"""Reads of the register: rights, their owners on a date, and their legal status on a date.

The register is public (专利法实施细则 r. 118: the register is open to inspection), so these reads
take no actor. Legal status is never stored: it is derived from the event log by the pure
`domain.legal_status`; this module only loads the facts, in as few queries as possible.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet

from ipfin.common.databases import PRIMARY
from ipfin.common.errors import Conflict, NotFound, ValidationFailed, invalid
from ipfin.common.workdays import WorkingCalendar
from ipfin.holidays.selectors import working_calendar
from ipfin.registry.domain import (
    SCOPE_PARTIAL,
    SCOPE_WHOLE,
    AuthorKind,
    CompensationKind,
    Event,
    EventType,
    NumberFormatError,
    RightFacts,
    RightKind,
    Status,
    StatusResult,
    annuity_last_day,
    is_number_spelling,
    kind_from_application_no,
    legal_status,
    normalize_number,
    term_note,
)
from ipfin.registry.models import Right, RightEvent, RightOwner

_EVENT_TYPES = {t.value: t for t in EventType}
# The longest number the register can hold (Right.number's column): a longer input names nothing.
MAX_NUMBER_LENGTH: int = Right._meta.get_field("number").max_length or 40
# Search text longer than this is refused: no number, title or name worth finding is that long.
MAX_SEARCH_LENGTH = 200
# The dates the register reasons about. Nothing in it is older than REGISTER_FLOOR (China's patent
# law dates from 1985, its trademark law from 1982; the floor leaves room for old copyright), and a
# status is computed up to STATUS_DATE_MAX: far beyond every term, and far from date.max, which the
# term arithmetic (expiry = filing + 20 years, renewals + 10 years) would overflow.
REGISTER_FLOOR = date(1900, 1, 1)
STATUS_DATE_MAX = date(2999, 12, 31)


def _unsearchable(text: str) -> bool:
    """A NUL character cannot be in any stored text (and PostgreSQL refuses it in a query)."""
    return "\x00" in text


# --- numbers -------------------------------------------------------------------------------------


def number_candidates(raw: str) -> list[str]:
    """The canonical numbers a user's input may denote, most specific first.

    Input may be non-canonical: CN / ZL prefix, no dot, spaces, full-width digits, 第…号. A patent
    number with a valid check digit gives its one canonical form; a bare run of digits may also be
    a trademark registration number; the stripped input itself is the last resort (imported data
    whose number fits no known format is still found by its exact text). Input outside
    RIGHT_NUMBER_PATTERN (a character no number is typed with, more than RIGHT_NUMBER_MAX_LENGTH
    characters) denotes nothing, as the document's pattern says.
    """
    text = raw.strip()
    if not text or _unsearchable(text) or not is_number_spelling(raw):
        # Nothing the register holds; never sent to the database (a NUL is an error there).
        return []
    candidates: list[str] = []
    kind = kind_from_application_no(text)
    if kind is not None:
        candidates.append(normalize_number(kind, text))
    with contextlib.suppress(NumberFormatError):
        candidates.append(normalize_number(RightKind.TRADEMARK, text))
    candidates.append(text)
    return [c for c in dict.fromkeys(candidates) if len(c) <= MAX_NUMBER_LENGTH]


def right_get(*, number: str) -> Right:
    """The right with this number (any accepted spelling); NotFound (404) if there is none."""
    candidates = number_candidates(number)
    found = {r.number: r for r in Right.objects.filter(number__in=candidates)} if candidates else {}
    for candidate in candidates:
        if candidate in found:
            return found[candidate]
    raise NotFound(*_not_found(number), code="right_not_found")


def _not_found(number: object) -> tuple[str, str]:
    return (
        f"未找到编号为“{number}”的知识产权。",
        f"No IP right with number {number!r} is registered.",
    )


def right_named(number: object, field: str = "number") -> Right:
    """The one right a request names by `field` (any accepted spelling): an unknown number is a
    422 `right_not_found` naming the field (the request refers to the right; the right is not the
    resource, so not a 404)."""
    try:
        return right_get(number=str(number or ""))
    except NotFound:
        raise invalid(
            field, "right_not_found", "登记簿中没有该编号的知识产权。", "No such right."
        ) from None


def rights_named(numbers: Sequence[str], *, at_most: int, per_zh: str, per_en: str) -> list[Right]:
    """The rights a request names (any accepted spelling), deduplicated, in the order given: at
    least one, at most `at_most` ("{per_zh}最多包含 … 项", "{per_en} may cover at most …").
    An unknown number is a 422 `right_not_found` naming it: the request refers to the right, the
    right is not the resource."""
    candidates = named_candidates(numbers, at_most=at_most, per_zh=per_zh, per_en=per_en)
    # Every spelling of every number looked up at once (one query, not one per number).
    wanted = sorted({c for spellings in candidates.values() for c in spellings})
    return pick_named(candidates, {r.number: r for r in Right.objects.filter(number__in=wanted)})


def named_candidates(
    numbers: Sequence[str], *, at_most: int, per_zh: str, per_en: str
) -> dict[str, list[str]]:
    """The first half of `rights_named`, for a caller reading the rights its own way: the numbers
    counted (a 422 `rights_required` / `rights_too_many`), each with the canonical numbers it
    may denote, most specific first (`number_candidates`)."""
    if not numbers:
        raise invalid(
            None, "rights_required", "请至少选择一项知识产权。", "At least one right is required."
        )
    if len(numbers) > at_most:
        raise invalid(
            None,
            "rights_too_many",
            f"{per_zh}最多包含 {at_most} 项知识产权。",
            f"{per_en} may cover at most {at_most} rights.",
        )
    return {number: number_candidates(str(number)) for number in numbers}


def pick_named(
    candidates: Mapping[str, Sequence[str]], by_number: Mapping[str, Right]
) -> list[Right]:
    """The second half of `rights_named`: each number resolved as `right_get` resolves it, to its
    most specific candidate found in `by_number` (a 422 `right_not_found` naming it when none
    is), deduplicated, in the order given."""
    found: dict[int, Right] = {}
    for number, spellings in candidates.items():
        right = next((by_number[c] for c in spellings if c in by_number), None)
        if right is None:
            raise ValidationFailed(
                *_not_found(number), code="right_not_found", extra={"right": number}
            )
        found.setdefault(right.pk, right)
    return list(found.values())


# --- facts and status ----------------------------------------------------------------------------


def _domain_event(event: RightEvent) -> Event | None:
    """The status-relevant part of a stored event; None for types the domain does not know."""
    event_type = _EVENT_TYPES.get(event.type)
    if event_type is None:
        return None
    payload: dict[str, Any] = event.payload if isinstance(event.payload, dict) else {}
    year: int | None = None
    if event_type is EventType.ANNUITY_PAID:
        try:
            year = int(payload.get("year"))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return None  # a payment of no identifiable year settles nothing
        if year < 1:
            return None
    scope = payload.get("scope")
    if scope not in (SCOPE_WHOLE, SCOPE_PARTIAL):
        scope = None
    if event_type is EventType.TERM_COMPENSATION:
        try:
            days = int(payload.get("days"))  # type: ignore[arg-type]
            compensation = CompensationKind(str(payload.get("kind")))
        except (TypeError, ValueError):
            return None  # a compensation of no identifiable length extends nothing
        if days < 1:
            return None
        return Event(type=event_type, date=event.date, days=days, compensation=compensation)
    return Event(type=event_type, date=event.date, year=year, scope=scope)


def _facts(right: Right, events: Iterable[RightEvent]) -> RightFacts:
    domain_events = (e for e in map(_domain_event, events) if e is not None)
    return RightFacts(
        kind=RightKind(right.kind),
        filing_date=right.filing_date,
        grant_date=right.grant_date,
        events=tuple(domain_events),
        first_commercial_use=right.first_commercial_use,
        created_on=right.created_on,
        author_kind=AuthorKind(right.author_kind) if right.author_kind else None,
        author_died_on=right.author_died_on,
        first_published_on=right.first_published_on,
    )


def right_facts(right: Right, *, on: date | None = None) -> RightFacts:
    """The domain's view of a right, with its events (only those dated on or before `on`, if given).

    Uses `right.events` as prefetched when the caller prefetched them.
    """
    events = [e for e in right.events.all() if on is None or e.date <= on]
    return _facts(right, events)


def right_term_note(right: Right) -> tuple[str, str] | None:
    """Why the right's term cannot be computed from the register (Chinese, English), or None."""
    return term_note(_facts(right, ()))


def check_status_date(on: date) -> date:
    """`on` if a status can be computed for it (REGISTER_FLOOR to STATUS_DATE_MAX), else a 422."""
    if not REGISTER_FLOOR <= on <= STATUS_DATE_MAX:
        raise ValidationFailed(
            f"查询日期 {on} 超出范围：应在 {REGISTER_FLOOR} 至 {STATUS_DATE_MAX} 之间。",
            f"The date {on} is out of range: it must be from {REGISTER_FLOOR} to "
            f"{STATUS_DATE_MAX}.",
            code="date_out_of_range",
            extra={"min": REGISTER_FLOOR.isoformat(), "max": STATUS_DATE_MAX.isoformat()},
        )
    return on


def right_status(right: Right, *, on: date) -> StatusResult:
    """The legal status of `right` as the register stood on `on` (a 422 outside the range a
    status can be computed for: see `check_status_date`)."""
    check_status_date(on)
    return legal_status(right_facts(right, on=on), on, working_calendar())


_TRANSFERABLE = frozenset({Status.IN_FORCE, Status.GRACE_PERIOD})


def refuse_untransferable(rights: Sequence[Right], *, on: date, zh: str, en: str) -> None:
    """Refuse (409) to move any of `rights` to another holder on `on` (a sale of a pledge, a
    deal on the trading board) where the register would not record it: a court preservation or
    an ownership dispute suspends the procedures on the right (DOMAIN: "an ownership dispute or
    a court preservation suspends procedures"; 409 `right_suspended`), and a right no longer in
    force (lapsed, expired, invalidated as a whole, surrendered) is nothing to sell (409
    `right_not_in_force`); each names the right. `zh` / `en` say what is refused ("，不能成交"
    / ": the sale cannot be completed")."""
    statuses = rights_status_bulk(rights, on=on)
    for right in sorted(rights, key=lambda r: r.number):
        status = statuses[right.pk]
        if status.preserved or status.disputed:
            why_zh = "被法院保全（冻结）" if status.preserved else "存在权属纠纷"
            why_en = "a court preservation" if status.preserved else "an ownership dispute"
            raise Conflict(
                f"{right.number} {why_zh}，相关程序中止{zh}。",
                f"{right.number}: {why_en} suspends the procedures on it{en}.",
                code="right_suspended",
                extra={"number": right.number},
            )
        if status.status not in _TRANSFERABLE:
            raise Conflict(
                f"{right.number} 在 {on} 已不处于有效状态{zh}。",
                f"{right.number} is no longer in force on {on}{en}.",
                code="right_not_in_force",
                extra={"number": right.number, "legal_status": status.status.value},
            )


def rights_events_bulk(rights: Sequence[Right], *, on: date) -> dict[int, list[RightEvent]]:
    """The events of many rights dated on or before `on`, in one query: right id → its events,
    oldest first (a right without any: an empty list). Read from the database the rights were
    read from: the public query's rights from the replica get their statuses from the replica
    too, never a primary ahead of it (one answer, one moment of the register)."""
    by_right: dict[int, list[RightEvent]] = {r.pk: [] for r in rights}
    if by_right:
        database = rights[0]._state.db or PRIMARY
        events = RightEvent.objects.using(database).filter(
            right_id__in=list(by_right), date__lte=on
        )
        for event in events.order_by("date", "id"):
            by_right[event.right_id].append(event)
    return by_right


def annuity_payable_until(
    status: StatusResult, calendar: WorkingCalendar | None = None
) -> date | None:
    """The last day the next annuity owed (`StatusResult.next_annuity`) is paid in time: its due
    date moved past weekends and holidays on the office's calendar (`annuity_last_day`; the
    caller's, read once for many rights, or read here); None when none is owed."""
    if status.next_annuity is None:
        return None
    return annuity_last_day(status.next_annuity[1], calendar or working_calendar())


def rights_status_bulk(
    rights: Sequence[Right],
    *,
    on: date,
    events: Mapping[int, Sequence[RightEvent]] | None = None,
    calendar: WorkingCalendar | None = None,
) -> dict[int, StatusResult]:
    """Status on `on` of many rights: one query for all their events (none when the caller
    read them already with `rights_events_bulk` for the same day). Keyed by right id.
    `calendar`: the office's working days as the caller read them (default: read here)."""
    check_status_date(on)
    rights = list(rights)
    by_right = rights_events_bulk(rights, on=on) if events is None else events
    # The grace periods' last days move past the rest days of the office's calendar (read only
    # when one is asked about).
    calendar = calendar or working_calendar()
    return {r.pk: legal_status(_facts(r, by_right.get(r.pk, ())), on, calendar) for r in rights}


def share_str(share: Decimal | str) -> str:
    """A co-owner's share as a plain decimal string without trailing zeros ("0.5", "1")."""
    return format(Decimal(str(share)).normalize(), "f")


def status_as_dict(result: StatusResult) -> dict[str, Any]:
    """A StatusResult in JSON-ready form (ISO dates, decimal strings), for audit records."""

    def iso(d: date | None) -> str | None:
        return d.isoformat() if d is not None else None

    rate: Decimal | None = result.late_fee_rate
    return {
        "status": result.status.value,
        "since": iso(result.since),
        "expiry_date": iso(result.expiry_date),
        "grace_until": iso(result.grace_until),
        "unpaid_year": result.unpaid_year,
        "late_fee_rate": str(rate) if rate is not None else None,
        "invalidation_pending": result.invalidation_pending,
        "preserved": result.preserved,
        "disputed": result.disputed,
        "renewal_pending": result.renewal_pending,
        "next_annuity": (
            {"year": result.next_annuity[0], "due_date": result.next_annuity[1].isoformat()}
            if result.next_annuity is not None
            else None
        ),
    }


# --- owners --------------------------------------------------------------------------------------


def owned_on(on: date) -> Q:
    """RightOwner rows in force on `on` (holder history: valid_to is exclusive, null = current)."""
    return Q(valid_from__lte=on) & (Q(valid_to__isnull=True) | Q(valid_to__gt=on))


def current_owners(right: Right, *, on: date) -> list[RightOwner]:
    """The registered owners (co-owners with their shares) on `on`; `valid_to` is exclusive."""
    return current_owners_bulk([right], on=on)[right.pk]


def current_owners_bulk(
    rights: Sequence[Right], *, on: date, organisation: bool = True
) -> dict[int, list[RightOwner]]:
    """The registered owners of several rights on `on` in one query: right id → its owners
    (co-owners with their shares; `valid_to` is exclusive), oldest holding first (a right
    without any: an empty list). `organisation=False` for callers that read only the owners'
    names, credit codes and shares: no join with the organisations."""
    owners: dict[int, list[RightOwner]] = {right.pk: [] for right in rights}
    rows = RightOwner.objects.filter(owned_on(on), right_id__in=list(owners))
    if organisation:
        rows = rows.select_related("organisation")
    for owner in rows.order_by("right_id", "valid_from", "id"):
        owners[owner.right_id].append(owner)
    return owners


def owner_history(right: Right) -> list[RightOwner]:
    """Every owner the right has had, oldest first (closed rows carry `valid_to`)."""
    return list(right.owners.select_related("organisation").order_by("valid_from", "id"))


def _clean_uscc(raw: str) -> str:
    return "".join(raw.split()).upper()


def owner_rights(*, uscc: str, on: date, kind: str | None = None) -> QuerySet[Right]:
    """Rights owned on `on`, wholly or in part, by the holder with this credit code."""
    owned = RightOwner.objects.filter(owned_on(on), right=OuterRef("pk"), uscc=_clean_uscc(uscc))
    rights = Right.objects.filter(Exists(owned))
    if kind is not None:
        rights = rights.filter(kind=_valid_kind(kind))
    return rights.order_by("number")


# --- pledges -------------------------------------------------------------------------------------


# --- search --------------------------------------------------------------------------------------


def _valid_kind(kind: str) -> str:
    try:
        return RightKind(kind).value
    except ValueError:
        raise ValidationFailed(
            f"未知的知识产权类型“{kind}”。",
            f"Unknown IP right kind {kind!r}.",
            code="unknown_kind",
        ) from None


def clean_search_text(q: str) -> str:
    """Search text, stripped; a 422 for text no stored value can contain (NUL) or that is longer
    than MAX_SEARCH_LENGTH, rather than an error from the database."""
    text = q.strip()
    if _unsearchable(text) or len(text) > MAX_SEARCH_LENGTH:
        raise ValidationFailed(
            f"查询内容无效：不能含有 NUL 字符，且不超过 {MAX_SEARCH_LENGTH} 个字符。",
            f"Invalid search text: no NUL character, at most {MAX_SEARCH_LENGTH} characters.",
            code="search_invalid",
            extra={"max_length": MAX_SEARCH_LENGTH},
        )
    return text


def rights_search(
    *,
    q: str = "",
    kind: str | None = None,
    owner_uscc: str | None = None,
    using: str = PRIMARY,
) -> QuerySet[Right]:
    """Rights matching `q` in number (any spelling), publication number, title, mark or the name of
    a current owner; optionally of one kind and/or currently owned by one credit code. `using`:
    the database read; the public query passes the replica's (`reporting_db()`), the office's
    own searches read the primary, which has what they have just recorded."""
    rights = Right.objects.using(using).all()
    text = clean_search_text(q)
    if text:
        # The ids matching in the right's own columns, UNION those of a current owner of that
        # name: each arm an index search on PostgreSQL (trigram indexes, registry migration
        # 0006; a BitmapOr in the first arm), where one OR with the owner's EXISTS in it could
        # only be tested row by row over the whole register.
        in_columns = (
            Right.objects.filter(
                Q(number__in=number_candidates(text))
                | Q(number__icontains=text)
                | Q(publication_no__icontains=text)
                | Q(title__icontains=text)
                | Q(mark_text__icontains=text)
            )
            .order_by()
            .values("pk")
        )
        owner_named = (
            RightOwner.objects.filter(valid_to__isnull=True, name__icontains=text)
            .order_by()
            .values("right_id")
        )
        rights = rights.filter(pk__in=in_columns.union(owner_named))
    if kind:
        rights = rights.filter(kind=_valid_kind(kind))
    if owner_uscc:
        owned = RightOwner.objects.filter(
            right=OuterRef("pk"), valid_to__isnull=True, uscc=_clean_uscc(owner_uscc)
        )
        rights = rights.filter(Exists(owned))
    return rights.order_by("number")
