"""Writes to the register: create a right, record a legal event. Only the IP office writes here,
but for two kinds of event: the transfer of a pledged right sold by its pledgee realising the
pledge (`right_transfer_on_realisation`, the disposal's completion), and a transfer or licence
agreed on the trading board, recorded by the trading centre (`right_dealing_record`).

Each service checks the permission, validates with the pure domain (numbers, terms, annuity
years), saves inside one transaction, writes the audit record (with the legal status today before
and after) and notifies the organisations that own the right.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from decimal import ROUND_DOWN, Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from ipfin.accounts.domain import UsccError, validate_uscc
from ipfin.accounts.models import Organisation, OrganisationKind, User
from ipfin.accounts.permissions import Perm, require
from ipfin.accounts.services import notify_orgs
from ipfin.audit.services import audit_record
from ipfin.common.errors import Conflict, PermissionDenied, ValidationFailed, invalid
from ipfin.common.inputs import amount_in
from ipfin.common.money import money_str
from ipfin.common.versioning import check_version
from ipfin.common.workdays import WorkingCalendar
from ipfin.feed.domain import EventType as FeedEventType
from ipfin.feed.selectors import keys_told
from ipfin.feed.services import Occurrence, event_publish, events_publish
from ipfin.holidays.selectors import working_calendar
from ipfin.registry.domain import (
    KIND_ZH,
    PATENT_KINDS,
    SCOPE_PARTIAL,
    SCOPE_WHOLE,
    TERMINAL_STATUSES,
    TRADEMARK_TERM_YEARS,
    AuthorKind,
    CompensationKind,
    EventType,
    NumberFormatError,
    RightKind,
    Status,
    StatusResult,
    add_years,
    annuity_amount,
    annuity_last_day,
    annuity_schedule,
    applicants_summary,
    grace_end,
    in_grace,
    late_fee_rate,
    legal_status,
    max_drug_compensation_days,
    normalize_number,
    renewal_window,
    term_expiry,
)
from ipfin.registry.encumbrances import pledgees_of, registered_pledges_of
from ipfin.registry.import_mapping import ipc_list, normalize_ipc
from ipfin.registry.models import Right, RightEvent, RightOwner
from ipfin.registry.selectors import (
    REGISTER_FLOOR,
    right_facts,
    right_status,
    rights_events_bulk,
    rights_status_bulk,
    share_str,
    status_as_dict,
)
from ipfin.registry.signals import right_transferred

# The facts a right's true term depends on (and the same-day invention of a utility model): set
# at creation or later by the office (right_term_facts_set).
TERM_FACT_FIELDS = (
    "first_commercial_use",
    "created_on",
    "author_kind",
    "author_died_on",
    "first_published_on",
    "same_day_invention",
)
_TERM_FACT_KINDS: dict[str, frozenset[RightKind]] = {
    "first_commercial_use": frozenset({RightKind.IC_LAYOUT}),
    "created_on": frozenset({RightKind.IC_LAYOUT, RightKind.COPYRIGHT}),
    "author_kind": frozenset({RightKind.COPYRIGHT}),
    "author_died_on": frozenset({RightKind.COPYRIGHT}),
    "first_published_on": frozenset({RightKind.COPYRIGHT}),
    "same_day_invention": frozenset({RightKind.UTILITY_MODEL}),
}
_TERM_FACT_ZH = {
    "first_commercial_use": "首次商业利用日",
    "created_on": "创作完成日",
    "author_kind": "作者类型",
    "author_died_on": "作者死亡日期",
    "first_published_on": "首次发表日",
    "same_day_invention": "同日申请的发明专利",
}
# A copyright's author may have died long before the register began.
_EARLIEST_FACT = datetime.date(1900, 1, 1)

# Fields of Right that right_create accepts besides the required ones.
RIGHT_EXTRA_FIELDS = frozenset(
    {
        *TERM_FACT_FIELDS,
        "publication_no",
        "ipc_main",
        "ipc_codes",
        "inventors",
        "address",
        "region",
        "abstract",
        "mark_text",
        "nice_classes",
        "similar_groups",
        "backward_citations",
        "source",
    }
)
LICENCE_TYPES = ("exclusive", "sole", "ordinary")  # 独占 / 排他 / 普通
_SHARE_QUANTUM = Decimal("0.000001")  # RightOwner.share has six decimal places
_NICE_CLASSES = range(1, 46)  # 尼斯分类 classes 1-45
_POSITIVE_INT_MAX = 2_147_483_647  # a PositiveIntegerField on PostgreSQL

# The dealings with a right that need the pledgee's consent while it is pledged (民法典 art. 444
# ¶2: transfer, licence; 专利审查指南: surrender), and the fields recording that consent:
# "pledgee_consent" (true: the pledgee agreed in writing) and "consent_document" (the consent
# letter's number or title). See `_require_pledgee_consent`.
PLEDGEE_CONSENT_EVENTS = frozenset({EventType.TRANSFER, EventType.LICENCE, EventType.SURRENDER})
_CONSENT_FIELDS = frozenset({"pledgee_consent", "consent_document"})
CONSENT_DOCUMENT_MAX_LENGTH = 200

# Payload fields each event type accepts ("note": free text such as a court case or decision no.;
# "price": the consideration recorded with a transfer, 转让价款, or a licence, 许可使用费, in yuan:
# the market approach's comparables, see ipfin.valuation.selectors.market_comparables).
_PAYLOAD_FIELDS: dict[EventType, frozenset[str]] = {
    EventType.ANNUITY_PAID: frozenset({"year"}),
    EventType.TERM_COMPENSATION: frozenset({"days", "kind"}),
    EventType.INVALIDATION_REQUESTED: frozenset({"requester"}),
    EventType.INVALIDATION_DISMISSED: frozenset(),
    EventType.INVALIDATED: frozenset({"scope"}),
    EventType.PRESERVATION: frozenset({"court"}),
    EventType.PRESERVATION_LIFTED: frozenset({"court"}),
    EventType.DISPUTE: frozenset(),
    EventType.DISPUTE_RESOLVED: frozenset(),
    EventType.TRANSFER: frozenset({"owners", "price"}) | _CONSENT_FIELDS,
    EventType.LICENCE: frozenset({"licence_type", "licensee", "licensee_uscc", "price"})
    | _CONSENT_FIELDS,
    EventType.SURRENDER: _CONSENT_FIELDS,
    EventType.RESTORED: frozenset(),
    EventType.RENEWAL_FILED: frozenset(),
    EventType.RENEWED: frozenset(),
}

_EVENT_ZH = {
    EventType.ANNUITY_PAID: "缴纳年费",
    EventType.TERM_COMPENSATION: "专利权期限补偿",
    EventType.INVALIDATION_REQUESTED: "无效宣告请求",
    EventType.INVALIDATION_DISMISSED: "维持有效",
    EventType.INVALIDATED: "宣告无效",
    EventType.PRESERVATION: "财产保全",
    EventType.PRESERVATION_LIFTED: "解除保全",
    EventType.DISPUTE: "权属纠纷",
    EventType.DISPUTE_RESOLVED: "权属纠纷结案",
    EventType.TRANSFER: "转让",
    EventType.LICENCE: "许可备案",
    EventType.SURRENDER: "放弃",
    EventType.RESTORED: "恢复权利",
    EventType.RENEWAL_FILED: "续展申请",
    EventType.RENEWED: "核准续展",
}


def _today() -> datetime.date:
    return timezone.localdate()


_DATE_FIELDS_ZH = {"filing_date": "申请日", "grant_date": "授权/注册日", "date": "事件日期"}


def check_fact_date(field: str, value: datetime.date, *, today: datetime.date) -> None:
    """The register records facts: a filing, a grant or an event has happened, so its date is not
    after today, and not before REGISTER_FLOOR (nothing in the register is older). A 422 naming
    the field otherwise (code date_in_future / date_too_early)."""
    name_zh = _DATE_FIELDS_ZH.get(field, field)
    if value > today:
        raise invalid(
            field,
            "date_in_future",
            f"{name_zh} {value} 晚于今日 {today}：登记簿只记载已发生的事实。",
            f"{field} {value} is after today ({today}): the register records facts that happened.",
        )
    if value < REGISTER_FLOOR:
        raise invalid(
            field,
            "date_too_early",
            f"{name_zh} {value} 早于 {REGISTER_FLOOR}。",
            f"{field} {value} is before {REGISTER_FLOOR}.",
        )


# --- owners --------------------------------------------------------------------------------------


def _parse_share(raw: Any, index: int) -> Decimal:
    if isinstance(raw, bool):
        raw = None  # true/false is no share: fall through to the error below
    try:
        share = Decimal(str(raw)) if isinstance(raw, int | float | str | Decimal) else None
    except InvalidOperation:
        share = None
    if share is None or not share.is_finite() or not Decimal(0) < share <= Decimal(1):
        raise invalid(
            None,
            "owner_share_invalid",
            f"第{index + 1}个权利人的份额“{raw}”无效：应为大于 0、不超过 1 的小数。",
            f"Owner {index + 1}: share {raw!r} must be a fraction greater than 0 and at most 1.",
        )
    if share != share.quantize(_SHARE_QUANTUM, rounding=ROUND_DOWN):
        raise invalid(
            None,
            "owner_share_precision",
            f"第{index + 1}个权利人的份额“{raw}”最多保留 6 位小数。",
            f"Owner {index + 1}: share {raw!r} has more than six decimal places.",
        )
    return share


def _equal_shares(n: int) -> list[Decimal]:
    """n equal shares summing to exactly 1; the rounding remainder goes to the first owner."""
    base = (Decimal(1) / n).quantize(_SHARE_QUANTUM, rounding=ROUND_DOWN)
    return [base + (Decimal(1) - base * n), *([base] * (n - 1))]


def clean_owners(owners: Sequence[dict[str, Any]] | None) -> list[dict[str, Any]]:
    """Validated owners: [{name, uscc ('' if none), share (Decimal)}]; ValidationFailed (422).

    Shares are fractions in (0, 1] summing to exactly 1; when every share is omitted the owners
    hold equal shares (共有, 专利法 art. 14); giving some shares and not others is an error.
    """
    if not owners:
        raise invalid(
            None, "owners_required", "至少需要一个权利人。", "At least one owner is required."
        )
    cleaned: list[dict[str, Any]] = []
    for index, owner in enumerate(owners):
        if not isinstance(owner, dict):
            raise invalid(
                None,
                "owner_invalid",
                f"第{index + 1}个权利人格式无效。",
                f"Owner {index + 1} must be an object {{name, uscc, share}}.",
            )
        name = str(owner.get("name") or "").strip()
        if not name:
            raise invalid(
                None,
                "owner_name_required",
                f"第{index + 1}个权利人缺少名称。",
                f"Owner {index + 1} has no name.",
            )
        raw_uscc = owner.get("uscc") or ""
        uscc = ""
        if raw_uscc:
            try:
                uscc = validate_uscc(str(raw_uscc))
            except UsccError as exc:
                raise ValidationFailed(
                    f"第{index + 1}个权利人：{exc.message_zh}",
                    f"Owner {index + 1}: {exc.message_en}",
                    code=exc.code,
                ) from exc
        cleaned.append({"name": name, "uscc": uscc, "share": owner.get("share")})
    codes = [o["uscc"] for o in cleaned if o["uscc"]]
    if len(codes) != len(set(codes)):
        raise invalid(
            None,
            "owner_duplicate",
            "同一统一社会信用代码的权利人重复出现。",
            "The same credit code appears for more than one owner.",
        )
    given = [o["share"] is not None for o in cleaned]
    if not any(given):
        for owner, share in zip(cleaned, _equal_shares(len(cleaned)), strict=True):
            owner["share"] = share
        if cleaned[-1]["share"] <= 0:
            raise invalid(None, "owner_share_invalid", "权利人过多。", "Too many owners.")
        return cleaned
    if not all(given):
        raise invalid(
            None,
            "owner_share_missing",
            "请为每个权利人填写份额，或全部留空（均等份额）。",
            "Give every owner a share, or none (equal shares).",
        )
    for index, owner in enumerate(cleaned):
        owner["share"] = _parse_share(owner["share"], index)
    total = sum((o["share"] for o in cleaned), Decimal(0))
    if total != 1:
        raise invalid(
            None,
            "owner_shares_sum",
            f"权利人份额之和应为 1，实际为 {total}。",
            f"Owners' shares must sum to exactly 1, not {total}.",
        )
    return cleaned


def _open_owners(
    right: Right, owners: list[dict[str, Any]], since: datetime.date
) -> list[RightOwner]:
    """Open RightOwner rows from `since`, linked to a registered organisation by credit code."""
    codes = [o["uscc"] for o in owners if o["uscc"]]
    orgs = (
        dict(Organisation.objects.filter(uscc__in=codes).values_list("uscc", "id")) if codes else {}
    )
    return RightOwner.objects.bulk_create(
        [
            RightOwner(
                right=right,
                name=o["name"],
                uscc=o["uscc"],
                organisation_id=orgs.get(o["uscc"]),
                share=Decimal(str(o["share"])),
                valid_from=since,
            )
            for o in owners
        ]
    )


def _owners_json(owners: Sequence[dict[str, Any] | RightOwner]) -> list[dict[str, str]]:
    """Owners as stored in event payloads and audit records: shares as decimal strings."""
    rows: list[dict[str, Any]] = [
        o if isinstance(o, dict) else {"name": o.name, "uscc": o.uscc, "share": o.share}
        for o in owners
    ]
    return [{"name": o["name"], "uscc": o["uscc"], "share": share_str(o["share"])} for o in rows]


# --- create --------------------------------------------------------------------------------------


def _clean_kind(kind: str) -> RightKind:
    try:
        return RightKind(kind)
    except ValueError:
        raise invalid(
            None,
            "unknown_kind",
            f"未知的知识产权类型“{kind}”。",
            f"Unknown IP right kind {kind!r}.",
        ) from None


def clean_number(kind: RightKind, number: str) -> str:
    """The canonical number; a bad format or check digit is a 422 with the domain's code."""
    try:
        return normalize_number(kind, number)
    except NumberFormatError as exc:
        raise ValidationFailed(exc.message_zh, exc.message_en, code=exc.code.value) from exc


def _applicant_facts(owners: list[dict[str, Any]]) -> tuple[str, int | None]:
    """The applicants at filing are the owners entered with the right: the first one's type
    (its organisation's kind when it is a registered enterprise, else read from its name) and
    how many there are (applicants_summary)."""
    applicant_type, count = applicants_summary([str(o["name"]) for o in owners])
    first_uscc = str(owners[0].get("uscc") or "") if owners else ""
    if first_uscc:
        kind = Organisation.objects.filter(uscc=first_uscc).values_list("kind", flat=True).first()
        if kind == OrganisationKind.ENTERPRISE:
            applicant_type = "enterprise"
    return applicant_type, count


def _clean_extra(kind: RightKind, extra: dict[str, Any]) -> dict[str, Any]:
    unknown = set(extra) - RIGHT_EXTRA_FIELDS
    if unknown:
        raise TypeError(f"right_create() got unexpected fields: {sorted(unknown)}")
    fields = {k: v for k, v in extra.items() if v is not None}
    # IPC codes stored as the imports store them (import_mapping.normalize_ipc): no whitespace
    # at all, no edition suffix, no empty or repeated code. Every reader compares them as
    # stored (the score's cohorts and IPC breadth on either database, the comparables, the
    # anomaly scan), so a code typed "G06F 17/30" or with a tab is the same subclass everywhere.
    if "ipc_main" in fields:
        fields["ipc_main"] = normalize_ipc(fields["ipc_main"])
    if "ipc_codes" in fields:
        fields["ipc_codes"] = ";".join(ipc_list(fields["ipc_codes"]))
    classes = fields.get("nice_classes", [])
    if not isinstance(classes, list) or not all(
        isinstance(c, int) and not isinstance(c, bool) and c in _NICE_CLASSES for c in classes
    ):
        raise invalid(
            None,
            "nice_classes_invalid",
            "商品/服务类别应为 1 至 45 之间的整数。",
            "Nice classes must be integers from 1 to 45.",
        )
    groups = fields.get("similar_groups", [])
    if not isinstance(groups, list) or not all(
        isinstance(g, str) and g.isascii() and g.isdigit() and len(g) == 4 for g in groups
    ):
        raise invalid(
            None,
            "similar_groups_invalid",
            "类似群应为 4 位数字编号（如 0901）。",
            "Similar groups must be 4-digit codes such as 0901.",
        )
    citations = fields.get("backward_citations", 0)
    if (
        isinstance(citations, bool)
        or not isinstance(citations, int)
        or not 0 <= citations <= _POSITIVE_INT_MAX
    ):
        raise invalid(
            "backward_citations",
            "backward_citations_invalid",
            "引证文献数应为 0 至 2147483647 之间的整数。",
            "Backward citations must be a whole number from 0 to 2147483647.",
        )
    if (classes or groups) and kind is not RightKind.TRADEMARK:
        raise invalid(
            None,
            "nice_classes_not_trademark",
            "只有商标有商品/服务类别和类似群。",
            "Only trademarks have Nice classes and similar groups.",
        )
    return fields


def clean_term_facts(
    kind: RightKind,
    filing_date: datetime.date,
    facts: dict[str, Any],
    *,
    today: datetime.date,
) -> dict[str, Any]:
    """The facts a right's true term depends on, checked (422 naming the field otherwise):

    - each belongs to its kinds: first commercial use to IC layouts (条例 art. 12), creation to IC
      layouts and copyright, the author and publication to copyright (著作权法 art. 23), the
      same-day invention to utility models (专利法 art. 9);
    - dates are facts: not after today, not before 1900; creation comes before filing, first
      use and publication; the author's death is recorded only for a natural person's work;
    - the same-day invention is a valid invention application number; if it is in the register,
      it was filed on the same day.
    Returns the fields with empty values as the model stores them ('' or None)."""
    cleaned: dict[str, Any] = {}
    for field, value in facts.items():
        if value in (None, ""):
            cleaned[field] = "" if field in ("author_kind", "same_day_invention") else None
            continue
        if kind not in _TERM_FACT_KINDS[field]:
            raise invalid(
                field,
                "field_not_for_kind",
                f"{_TERM_FACT_ZH[field]}不适用于{KIND_ZH[kind]}。",
                f"{field} does not apply to a {kind.value.replace('_', ' ')}.",
            )
        if isinstance(value, datetime.date) and not _EARLIEST_FACT <= value <= today:
            raise invalid(
                field,
                "date_out_of_range",
                f"{_TERM_FACT_ZH[field]} {value} 应在 {_EARLIEST_FACT} 至今日 {today} 之间。",
                f"{field} {value} must be between {_EARLIEST_FACT} and today ({today}).",
            )
        cleaned[field] = value
    if cleaned.get("author_kind"):
        try:
            cleaned["author_kind"] = AuthorKind(cleaned["author_kind"]).value
        except ValueError:
            raise invalid(
                "author_kind",
                "author_kind_invalid",
                "作者类型应为 person（自然人）或 organisation（法人或非法人组织）。",
                "author_kind must be person or organisation.",
            ) from None
    if cleaned.get("same_day_invention"):
        try:
            number = normalize_number(RightKind.INVENTION, str(cleaned["same_day_invention"]))
        except NumberFormatError as exc:
            raise ValidationFailed(
                f"同日申请的发明专利：{exc.message_zh}",
                f"same_day_invention: {exc.message_en}",
                code=exc.code.value,
                extra={"field": "same_day_invention"},
            ) from exc
        invention = Right.objects.filter(number=number).only("filing_date").first()
        if invention is not None and invention.filing_date != filing_date:
            raise invalid(
                "same_day_invention",
                "same_day_invention_not_same_day",
                f"发明专利申请 {number} 的申请日为 {invention.filing_date}，与本实用新型的申请日 "
                f"{filing_date} 不是同一日。",
                f"Invention application {number} was filed on {invention.filing_date}, not on "
                f"this utility model's filing date {filing_date}.",
            )
        cleaned["same_day_invention"] = number
    return cleaned


def _applicants(right: Right) -> set[str]:
    """The right's applicants as the register knows them: its first owners (those from the
    filing date), by credit code or, without one, by name."""
    first = RightOwner.objects.filter(right=right, valid_from=right.filing_date)
    return {o.uscc or o.name for o in first}


def _check_same_applicant(right: Right) -> None:
    """专利法 art. 9: the same-day rule concerns the SAME applicant's invention and utility model.
    When the named invention is in the register, one of its applicants must be one of the
    utility model's (422 `same_day_invention_other_applicant` otherwise)."""
    if not right.same_day_invention:
        return
    invention = Right.objects.filter(number=right.same_day_invention).first()
    if invention is None or _applicants(invention) & _applicants(right):
        return
    raise invalid(
        "same_day_invention",
        "same_day_invention_other_applicant",
        f"发明专利申请 {invention.number} 的申请人与本实用新型的申请人不同，不属于同一申请人同日"
        "申请的情形。",
        f"Invention application {invention.number} has other applicants than this utility "
        "model: it is not the same applicant's same-day application.",
    )


def _check_term_fact_order(right: Right) -> None:
    """Creation before filing, first commercial use and first publication; a death date only for
    a natural person's work (after the facts are merged onto the right)."""
    created = right.created_on
    for field, later in (
        ("filing_date", right.filing_date),
        ("first_commercial_use", right.first_commercial_use),
        ("first_published_on", right.first_published_on),
    ):
        if created is not None and later is not None and later < created:
            raise invalid(
                "created_on",
                "created_after",
                f"创作完成日 {created} 晚于{_TERM_FACT_ZH.get(field, '申请日')} {later}。",
                f"The creation date {created} is after {field} {later}.",
            )
    if right.author_died_on is not None and right.author_kind != AuthorKind.PERSON:
        raise invalid(
            "author_died_on",
            "author_died_not_person",
            "只有自然人作品记载作者死亡日期（作者类型应为 person）。",
            "A date of death is recorded only for a natural person's work (author_kind person).",
        )


@transaction.atomic
def right_create(
    *,
    actor: User,
    number: str,
    kind: str,
    title: str,
    filing_date: datetime.date,
    grant_date: datetime.date | None = None,
    owners: list[dict[str, Any]],
    **extra: Any,
) -> Right:
    """Enter a right into the register with its owners (from the filing date)."""
    require(actor, Perm.REGISTRY_WRITE)
    right_kind = _clean_kind(kind)
    canonical = clean_number(right_kind, number)
    title = (title or "").strip()
    if not title:
        raise invalid(None, "title_required", "请填写名称。", "A title is required.")
    today = _today()
    check_fact_date("filing_date", filing_date, today=today)
    if grant_date is not None:
        check_fact_date("grant_date", grant_date, today=today)
    if grant_date is not None and grant_date < filing_date:
        raise invalid(
            None,
            "grant_before_filing",
            f"授权/注册日 {grant_date} 早于申请日 {filing_date}。",
            f"The grant date {grant_date} is before the filing date {filing_date}.",
        )
    fields = _clean_extra(right_kind, extra)
    facts = {f: fields.pop(f) for f in TERM_FACT_FIELDS if f in fields}
    fields |= clean_term_facts(right_kind, filing_date, facts, today=today)
    cleaned_owners = clean_owners(owners)
    if Right.objects.filter(number=canonical).exists():
        raise Conflict(
            f"编号为 {canonical} 的知识产权已登记。",
            f"An IP right numbered {canonical} is already registered.",
            code="right_exists",
        )
    right = Right(
        number=canonical,
        kind=right_kind.value,
        title=title,
        filing_date=filing_date,
        grant_date=grant_date,
        **fields,
    )
    right.applicant_type, right.applicant_count = _applicant_facts(cleaned_owners)
    _check_term_fact_order(right)
    try:
        with transaction.atomic():  # a savepoint: a concurrent insert of the same number
            right.save()
    except IntegrityError as exc:
        raise Conflict(
            f"编号为 {canonical} 的知识产权已登记。",
            f"An IP right numbered {canonical} is already registered.",
            code="right_exists",
        ) from exc
    rows = _open_owners(right, cleaned_owners, filing_date)
    _check_same_applicant(right)
    status = right_status(right, on=today)
    audit_record(
        actor=actor,
        action="right.create",
        obj=right,
        before=None,
        after={
            "number": canonical,
            "kind": right_kind.value,
            "title": title,
            "filing_date": filing_date.isoformat(),
            "grant_date": grant_date.isoformat() if grant_date else None,
            **_term_facts_json(right),
            "owners": _owners_json(cleaned_owners),
            "status": status_as_dict(status),
        },
    )
    notify_orgs(
        sorted({r.organisation_id for r in rows if r.organisation_id}),
        right,
        "right.create",
        f"您的知识产权 {canonical}（{title}）已登记入册。",
        f"Your IP right {canonical} ({title}) has been entered in the register.",
    )
    return right


@transaction.atomic
def owners_link(*, actor: User, organisation: Organisation, name: str) -> int:
    """Link the register's current owner rows recorded under `name` without a credit code to the
    registered `organisation`, which then holds those rights on the platform (may pledge them,
    is notified of their events). The national sources carry applicants' names, not their codes:
    the office makes the match once the organisation has an account. Returns the rows linked."""
    require(actor, Perm.REGISTRY_WRITE)
    if not organisation.uscc:
        raise ValidationFailed(
            "须先登记该机构的统一社会信用代码。",
            "The organisation needs its unified social credit code first.",
            code="uscc_required",
        )
    rows = RightOwner.objects.filter(
        name=name.strip(), valid_to__isnull=True, organisation__isnull=True, uscc=""
    )
    ids = list(rows.select_for_update().values_list("pk", flat=True))
    RightOwner.objects.filter(pk__in=ids).update(organisation=organisation, uscc=organisation.uscc)
    audit_record(
        actor=actor,
        action="right_owner.link",
        obj=organisation,
        after={"name": name.strip(), "owner_rows": len(ids)},
    )
    return len(ids)


def _term_facts_json(right: Right) -> dict[str, Any]:
    def plain(value: Any) -> Any:
        return value.isoformat() if isinstance(value, datetime.date) else value

    return {f: plain(getattr(right, f)) for f in TERM_FACT_FIELDS if getattr(right, f)}


@transaction.atomic
def right_term_facts_set(*, actor: User, right: Right, version: int | None, **facts: Any) -> Right:
    """The office records (or corrects, or clears with None) the facts a right's true term
    depends on — first commercial use, creation, author, the author's death, first publication —
    and a utility model's same-day invention. Audited with the facts and the status before and
    after. `version` is the right's as the edit was made from: another than the stored one is a
    409 `version_conflict`, none a 428 (ipfin.common.versioning)."""
    require(actor, Perm.REGISTRY_WRITE)
    unknown = set(facts) - set(TERM_FACT_FIELDS)
    if unknown:
        raise TypeError(f"right_term_facts_set() got unexpected fields: {sorted(unknown)}")
    if not facts:
        raise invalid(None, "nothing_to_change", "没有需要变更的内容。", "Nothing would change.")
    today = _today()
    right = Right.objects.select_for_update().get(pk=right.pk)
    check_version(current=right.version, expected=version)
    cleaned = clean_term_facts(RightKind(right.kind), right.filing_date, facts, today=today)
    before = {
        "facts": _term_facts_json(right),
        "status": status_as_dict(right_status(right, on=today)),
    }
    for field, value in cleaned.items():
        setattr(right, field, value)
    _check_term_fact_order(right)
    right.version += 1
    right.save(update_fields=[*cleaned, "version", "updated_at"])
    _check_same_applicant(right)
    after = {
        "facts": _term_facts_json(right),
        "status": status_as_dict(right_status(right, on=today)),
    }
    audit_record(actor=actor, action="right.term_facts", obj=right, before=before, after=after)
    _feed_status_change(
        right,
        None,
        before["status"],
        after["status"],
        _owner_org_ids(right),
        pledgees_of(right, today),
        term_facts=after["facts"],
    )
    return right


# --- events --------------------------------------------------------------------------------------


def _clean_event_type(raw: str) -> EventType:
    try:
        return EventType(raw)
    except ValueError:
        raise invalid(
            None,
            "unknown_event_type",
            f"未知的事件类型“{raw}”。",
            f"Unknown event type {raw!r}.",
            allowed=[t.value for t in EventType],
        ) from None


def _require_kinds(right: Right, event_type: EventType, kinds: frozenset[RightKind]) -> None:
    if RightKind(right.kind) not in kinds:
        names = ", ".join(sorted(k.value for k in kinds))
        raise invalid(
            None,
            "event_not_for_kind",
            f"{_EVENT_ZH[event_type]}不适用于此类知识产权（{right.get_kind_display()}）。",
            f"A {event_type.value} event does not apply to a {right.kind}; only to: {names}.",
        )


def _require_granted(right: Right, event_type: EventType) -> datetime.date:
    if right.grant_date is None:
        raise invalid(
            None,
            "right_not_granted",
            f"该知识产权尚未授权/注册，不能记录{_EVENT_ZH[event_type]}。",
            f"The right is not granted or registered yet: no {event_type.value} can be recorded.",
        )
    return right.grant_date


def _clean_annuity(
    right: Right,
    on: datetime.date,
    state: StatusResult,
    payload: dict[str, Any],
    calendar: WorkingCalendar,
) -> dict[str, Any]:
    """annuity_paid: `year` must be a year the patent owes (from the grant year to the last),
    the years of a term compensation included (专利法 2020 art. 42 ¶2, ¶3: annuities go on in
    it). Read from the basic term alone, year 21 of a compensated invention was refused, and
    the patent, its annuity unpayable, showed lapsed inside its extended term."""
    _require_kinds(right, EventType.ANNUITY_PAID, PATENT_KINDS)
    grant = _require_granted(right, EventType.ANNUITY_PAID)
    kind = RightKind(right.kind)
    schedule = dict(annuity_schedule(kind, right.filing_date, grant, state.expiry_date))
    year = payload.get("year")
    if isinstance(year, bool) or not isinstance(year, int) or year not in schedule:
        first, last = min(schedule, default=None), max(schedule, default=None)
        raise invalid(
            None,
            "annuity_year_invalid",
            f"年费年度“{year}”无效：该专利应缴第 {first} 至第 {last} 年的年费。",
            f"Annuity year {year!r} is not owed: this patent owes years {first} to {last}.",
            first_year=first,
            last_year=last,
        )
    if right.events.filter(type=EventType.ANNUITY_PAID, payload__year=year).exists():
        raise invalid(
            None,
            "annuity_already_paid",
            f"第 {year} 年的年费已缴纳。",
            f"The annuity for year {year} has already been paid.",
        )
    due = schedule[year]
    if not in_grace(on, due, calendar):
        ends = grace_end(due, calendar)
        raise invalid(
            None,
            "annuity_too_late",
            f"第 {year} 年年费的滞纳期已于 {ends} 届满，专利权已终止；请先办理恢复权利。",
            f"The grace period for year {year} ended on {ends}: the patent has lapsed; "
            "restoration is needed first.",
        )
    if state.status in TERMINAL_STATUSES:
        raise invalid(
            None,
            "right_terminated",
            f"该专利在 {on} 已终止（{state.status.value}），不能缴纳年费。",
            f"The patent is {state.status.value} on {on}: no annuity can be paid.",
        )
    amount = annuity_amount(kind, year)
    rate = late_fee_rate(due, on, calendar) if on > due else Decimal("0.00")
    return {
        "year": year,
        "due_date": due.isoformat(),
        "amount": money_str(amount),
        "late_fee_rate": str(rate),
        "late_fee": money_str(amount * rate),
    }


def _clean_renewal(
    right: Right,
    event_type: EventType,
    on: datetime.date,
    state: StatusResult,
    calendar: WorkingCalendar,
) -> dict[str, Any]:
    """renewal_filed and renewed (商标法 art. 40): trademarks only. A renewal is applied for within
    12 months before the term ends or in the 6 months' grace after it; its approval (renewed) is
    recorded in that window too, or later when the application was filed in time."""
    _require_kinds(right, event_type, frozenset({RightKind.TRADEMARK}))
    _require_granted(right, event_type)
    expiry = state.expiry_date
    assert expiry is not None  # a registered trademark's term is always known
    opens, closes = renewal_window(expiry, calendar)
    if event_type is EventType.RENEWAL_FILED and state.renewal_pending:
        raise Conflict(
            "该商标已有未决的续展申请。",
            "A renewal of this trademark is already pending.",
            code="renewal_already_pending",
        )
    if event_type is EventType.RENEWED and state.renewal_pending and on >= opens:
        return {"term_until": add_years(expiry, TRADEMARK_TERM_YEARS).isoformat()}
    if not opens <= on <= closes:
        raise invalid(
            None,
            "renewal_out_of_window",
            f"续展应在 {opens} 至 {closes} 之间办理（有效期至 {expiry}）。",
            f"A renewal must be filed between {opens} and {closes} (the term ends {expiry}).",
        )
    return {"term_until": add_years(expiry, TRADEMARK_TERM_YEARS).isoformat()}


def _clean_compensation(right: Right, on: datetime.date, payload: dict[str, Any]) -> dict[str, Any]:
    """term_compensation {days, kind} (专利法 2020 art. 42): inventions only, once granted; one
    compensation of each kind (grant_delay ¶2, drug_approval ¶3); a drug compensation of at most
    5 years. The days are what the office granted (the 14-year cap of ¶3 is the office's
    computation, not re-done here)."""
    _require_kinds(right, EventType.TERM_COMPENSATION, frozenset({RightKind.INVENTION}))
    _require_granted(right, EventType.TERM_COMPENSATION)
    try:
        kind = CompensationKind(str(payload.get("kind")))
    except ValueError:
        raise invalid(
            "kind",
            "compensation_kind_invalid",
            "期限补偿类型应为 grant_delay（授权过程不合理延迟，专利法第四十二条第二款）或 "
            "drug_approval（新药上市审评审批占用时间，第三款）。",
            "kind must be grant_delay (art. 42 ¶2) or drug_approval (art. 42 ¶3).",
        ) from None
    days = payload.get("days")
    if isinstance(days, bool) or not isinstance(days, int) or days < 1:
        raise invalid(
            "days",
            "compensation_days_invalid",
            "补偿天数应为正整数。",
            "days must be a positive whole number.",
        )
    base = term_expiry(RightKind.INVENTION, right.filing_date, right.grant_date)
    if kind is CompensationKind.DRUG_APPROVAL and days > max_drug_compensation_days(base):
        raise invalid(
            "days",
            "drug_compensation_over_5_years",
            f"新药相关发明专利的补偿期限不超过五年（专利法第四十二条第三款），即不超过 "
            f"{max_drug_compensation_days(base)} 天。",
            f"A new drug's term compensation is at most 5 years (Patent Law art. 42 ¶3): at most "
            f"{max_drug_compensation_days(base)} days.",
        )
    granted_before = RightEvent.objects.filter(
        right=right, type=EventType.TERM_COMPENSATION.value, payload__kind=kind.value
    ).exists()
    if granted_before:
        raise Conflict(
            "该专利已登记同一类型的期限补偿。",
            f"A {kind.value} term compensation is already recorded for this patent.",
            code="compensation_already_recorded",
        )
    return {"days": days, "kind": kind.value}


def _clean_licence(payload: dict[str, Any]) -> dict[str, Any]:
    licence_type = payload.get("licence_type")
    if licence_type not in LICENCE_TYPES:
        raise invalid(
            None,
            "licence_type_invalid",
            "许可类型应为 exclusive（独占）、sole（排他）或 ordinary（普通）。",
            "licence_type must be exclusive, sole or ordinary.",
        )
    licensee = str(payload.get("licensee") or "").strip()
    if not licensee:
        raise invalid(None, "licensee_required", "请填写被许可人。", "A licensee is required.")
    cleaned = {"licence_type": licence_type, "licensee": licensee}
    if payload.get("licensee_uscc"):
        try:
            cleaned["licensee_uscc"] = validate_uscc(str(payload["licensee_uscc"]))
        except UsccError as exc:
            raise ValidationFailed(
                f"被许可人：{exc.message_zh}", f"Licensee: {exc.message_en}", code=exc.code
            ) from exc
    return cleaned


def _clean_price(event_type: EventType, raw: Any) -> dict[str, Any]:
    """The optional consideration of a transfer (转让价款) or a licence (许可使用费): an amount in
    yuan (a string of digits with at most two decimals, as every amount the API takes; see
    ipfin.common.money.parse_money), stored as its canonical text; absent or null: not recorded."""
    if raw is None:
        return {}
    name_zh = "转让价款" if event_type is EventType.TRANSFER else "许可使用费"
    return {"price": money_str(amount_in(raw, "price", positive=False, label_zh=name_zh))}


def _clean_consent(payload: dict[str, Any]) -> dict[str, Any]:
    """The pledgee's consent to a transfer, licence or surrender, as given (both optional here):
    `pledgee_consent` true or false, `consent_document` the consent letter's number or title (text
    of at most CONSENT_DOCUMENT_MAX_LENGTH characters; blank is not recorded). Whether the right's
    pledge makes consent necessary is `_require_pledgee_consent`'s business."""
    cleaned: dict[str, Any] = {}
    consent = payload.get("pledgee_consent")
    if consent is not None:
        if not isinstance(consent, bool):
            raise invalid(
                "pledgee_consent",
                "pledgee_consent_invalid",
                "质权人同意（pledgee_consent）应为 true 或 false。",
                "pledgee_consent must be true or false.",
            )
        cleaned["pledgee_consent"] = consent
    document = payload.get("consent_document")
    if document is not None:
        text = document.strip() if isinstance(document, str) else None
        if text is None or len(text) > CONSENT_DOCUMENT_MAX_LENGTH:
            raise invalid(
                "consent_document",
                "consent_document_invalid",
                f"同意文件编号应为不超过 {CONSENT_DOCUMENT_MAX_LENGTH} 个字符的文字。",
                f"consent_document must be text of at most {CONSENT_DOCUMENT_MAX_LENGTH} "
                "characters.",
                max_length=CONSENT_DOCUMENT_MAX_LENGTH,
            )
        if text:
            cleaned["consent_document"] = text
    return cleaned


def _require_pledgee_consent(
    right: Right, event_type: EventType, on: datetime.date, cleaned: dict[str, Any]
) -> None:
    """A transfer, licence or surrender of a right under a registered pledge needs the pledgee's
    consent on record: `pledgee_consent` true and a `consent_document` named. Otherwise a 409
    `pledgee_consent_required` naming the pledge(s) and the pledgee(s).

    - 民法典 art. 444 ¶2: 知识产权中的财产权出质后，出质人不得转让或者许可他人使用，但是出质人与
      质权人协商同意的除外.
    - Surrender (放弃): the 专利审查指南 lets no pledged patent be surrendered without the pledgee's
      agreement; the register applies the same to every kind of right (a surrender would destroy
      the pledgee's security as surely as a transfer).
    A pending application creates no pledge right yet (质权自登记时设立) and a released pledge none
    any more: neither asks for consent. Whether the right was pledged is read as of the event's
    date `on` (`registered_pledges_of`), so a dealing dated inside a pledge's life needs consent
    even when recorded after the release.
    """
    if event_type not in PLEDGEE_CONSENT_EVENTS:
        return
    if cleaned.get("pledgee_consent") is True and cleaned.get("consent_document"):
        return
    pledges = registered_pledges_of(right, on)
    if not pledges:
        return
    numbers = [number for number, _pledgee in pledges]
    named_zh = "、".join(f"质押登记号 {number}，质权人 {pledgee}" for number, pledgee in pledges)
    named_en = "; ".join(f"registration {number}, pledgee {pledgee}" for number, pledgee in pledges)
    record_zh = "请记载质权人的书面同意（勾选“质权人已书面同意”并填写同意文件编号）。"
    record_en = (
        "Record the pledgee's written consent (pledgee_consent true and consent_document, the "
        "consent letter's number)."
    )
    if event_type is EventType.SURRENDER:
        rule_zh = (
            "依《专利审查指南》，已出质的专利权未经质权人同意不得放弃；本登记簿对已出质的各类"
            "知识产权同样要求质权人同意。"
        )
        rule_en = (
            "Under the Patent Examination Guidelines a pledged patent may not be surrendered "
            "without the pledgee's agreement; the register asks the same for every pledged right."
        )
    else:
        rule_zh = (
            "依《民法典》第四百四十四条第二款，知识产权中的财产权出质后，出质人不得转让或者许可他人"
            "使用，但是出质人与质权人协商同意的除外。"
        )
        rule_en = (
            "Under Civil Code art. 444 ¶2 a pledged IP right may not be transferred or licensed "
            "without the pledgee's agreement."
        )
    raise Conflict(
        f"该知识产权已出质（{named_zh}），登记{_EVENT_ZH[event_type]}须经质权人同意。"
        f"{rule_zh}{record_zh}",
        f"The right is pledged ({named_en}): a {event_type.value} needs the pledgee's consent. "
        f"{rule_en} {record_en}",
        code="pledgee_consent_required",
        extra={"pledges": numbers},
    )


def _require_open(status_flag: bool, code: str, zh: str, en: str) -> None:
    if not status_flag:
        raise invalid(None, code, zh, en)


def _clean_payload(
    right: Right, event_type: EventType, on: datetime.date, payload: dict[str, Any]
) -> dict[str, Any]:
    """Check the type-specific fields and return the payload to store."""
    unexpected = set(payload) - _PAYLOAD_FIELDS[event_type] - {"note"}
    if unexpected:
        raise invalid(
            None,
            "event_field_not_allowed",
            f"{_EVENT_ZH[event_type]}事件不接受字段：{', '.join(sorted(unexpected))}。",
            f"A {event_type.value} event does not take: {', '.join(sorted(unexpected))}.",
        )
    cleaned: dict[str, Any] = {}
    if payload.get("note"):
        cleaned["note"] = str(payload["note"]).strip()
    # One calendar for the status and the event's own deadline: the office's days read once.
    calendar = working_calendar()
    state = legal_status(right_facts(right, on=on), on, calendar)
    match event_type:
        case EventType.ANNUITY_PAID:
            cleaned |= _clean_annuity(right, on, state, payload, calendar)
        case EventType.RENEWED | EventType.RENEWAL_FILED:
            cleaned |= _clean_renewal(right, event_type, on, state, calendar)
        case EventType.TERM_COMPENSATION:
            cleaned |= _clean_compensation(right, on, payload)
        case EventType.INVALIDATED:
            _require_granted(right, event_type)
            scope = payload.get("scope") or SCOPE_WHOLE
            if scope not in (SCOPE_WHOLE, SCOPE_PARTIAL):
                raise invalid(
                    None,
                    "invalidation_scope_invalid",
                    "无效宣告范围应为 whole（全部无效）或 partial（部分无效）。",
                    "scope must be whole or partial.",
                )
            cleaned["scope"] = scope
        case EventType.INVALIDATION_REQUESTED:
            _require_granted(right, event_type)
            if payload.get("requester"):
                cleaned["requester"] = str(payload["requester"]).strip()
        case EventType.INVALIDATION_DISMISSED:
            _require_open(
                state.invalidation_pending,
                "no_pending_invalidation",
                "该知识产权没有未决的无效宣告请求。",
                "The right has no pending invalidation request.",
            )
        case EventType.PRESERVATION_LIFTED:
            _require_open(
                state.preserved,
                "not_preserved",
                "该知识产权未被保全。",
                "The right is not under preservation.",
            )
        case EventType.DISPUTE_RESOLVED:
            _require_open(
                state.disputed,
                "no_dispute",
                "该知识产权没有未决的权属纠纷。",
                "The right has no pending ownership dispute.",
            )
        case EventType.PRESERVATION:
            if payload.get("court"):
                cleaned["court"] = str(payload["court"]).strip()
        case EventType.LICENCE:
            cleaned |= _clean_licence(payload)
            cleaned |= _clean_price(event_type, payload.get("price"))
        case EventType.TRANSFER:
            owners = clean_owners(payload.get("owners"))
            cleaned["owners"] = _owners_json(owners)
            cleaned |= _clean_price(event_type, payload.get("price"))
        case EventType.SURRENDER:
            if state.status not in (Status.IN_FORCE, Status.GRACE_PERIOD):
                raise invalid(
                    None,
                    "surrender_not_in_force",
                    f"该知识产权在 {on} 的状态为{state.status.value}，不能放弃。",
                    f"The right is {state.status.value} on {on}: it cannot be surrendered.",
                )
        case EventType.RESTORED:
            _require_kinds(right, event_type, PATENT_KINDS)
            if state.status is not Status.LAPSED:
                raise invalid(
                    None,
                    "restore_not_lapsed",
                    f"该专利在 {on} 未因未缴年费而终止，无需恢复。",
                    f"The patent had not lapsed on {on}: there is nothing to restore.",
                )
        case _:  # dispute: nothing to check beyond the date
            pass
    if event_type in PLEDGEE_CONSENT_EVENTS:
        cleaned |= _clean_consent(payload)
    return cleaned


def _transfer_owners(right: Right, on: datetime.date, owners: list[dict[str, Any]]) -> set[int]:
    """Close the current holders at `on` (valid_to is exclusive) and open the new ones from `on`.
    Returns the organisations concerned (old and new holders)."""
    current = list(RightOwner.objects.filter(right=right, valid_to__isnull=True))
    latest = max((o.valid_from for o in current), default=None)
    if latest is not None and on < latest:
        raise invalid(
            None,
            "transfer_before_current_owners",
            f"转让日 {on} 早于现权利人的登记日 {latest}。",
            f"The transfer date {on} is before the current owners' start {latest}.",
        )
    RightOwner.objects.filter(pk__in=[o.pk for o in current]).update(valid_to=on)
    opened = _open_owners(right, owners, on)
    return {o.organisation_id for o in [*current, *opened] if o.organisation_id}


@transaction.atomic
def right_event_record(
    *,
    actor: User,
    right: Right,
    type: str,  # the event's type, as the API names it (shadows the builtin here only)
    date: datetime.date,
    payload: dict[str, Any] | None = None,
) -> RightEvent:
    """Record a legal event (annuity paid, invalidation, preservation, transfer, licence, ...)."""
    require(actor, Perm.REGISTRY_WRITE)
    return _event_record(
        actor=actor, right=right, event_type=_clean_event_type(type), date=date, payload=payload
    )


@transaction.atomic
def right_transfer_on_realisation(
    *,
    actor: User,
    right: Right,
    date: datetime.date,
    buyer: Organisation,
    price: Decimal | None,
    basis: str,
    note: str = "",
) -> RightEvent:
    """The transfer of a pledged right to the buyer at the pledgee's realisation of its pledge
    (质权实现: 民法典 art. 436 ¶2, sold at auction or otherwise; ipfin.disposals completes the
    sale), recorded as a transfer event like any other, its checks included.

    The pledgee's consent (民法典 art. 444 ¶2) is the sale itself: `pledgee_consent` true and
    `consent_document` the sale's reference (`basis`). Only the pledgee may record it, as the
    seller (`Perm.DISPOSAL_MANAGE`, and its organisation holds a pledge registered on the right
    on `date`; otherwise 403 `not_pledgee`); the buyer becomes the sole owner. `price` is the
    consideration of this right (None when several rights were sold as one lot: the note says
    so), read by the market approach's comparables."""
    require(actor, Perm.DISPOSAL_MANAGE)
    if actor.organisation_id is None or actor.organisation_id not in pledgees_of(right, date):
        raise PermissionDenied(
            "只有该知识产权的质权人可以登记质权实现所致的转让。",
            "Only the right's pledgee records a transfer by the realisation of its pledge.",
            code="not_pledgee",
        )
    payload: dict[str, Any] = {
        "owners": [{"name": buyer.name, "uscc": buyer.uscc or ""}],
        "pledgee_consent": True,
        "consent_document": basis,
    }
    if price is not None:
        payload["price"] = money_str(price)
    if note:
        payload["note"] = note
    return _event_record(
        actor=actor, right=right, event_type=EventType.TRANSFER, date=date, payload=payload
    )


@transaction.atomic
def right_dealing_record(
    *,
    actor: User,
    right: Right,
    type: str,  # "transfer" or "licence", as the API names it
    date: datetime.date,
    payload: dict[str, Any],
) -> RightEvent:
    """A transfer or a licence agreed on the trading board (知识产权运营, ipfin.trading), recorded
    by the trading centre that brokered it (`Perm.TRADE_RECORD`), as any other such event, its
    checks included: the pledgee's consent (民法典 art. 444 ¶2) is the deal's consents, named in
    the payload's `consent_document`."""
    require(actor, Perm.TRADE_RECORD)
    event_type = _clean_event_type(type)
    if event_type not in (EventType.TRANSFER, EventType.LICENCE):
        raise invalid(
            "type",
            "dealing_type_invalid",
            "交易登记只能是转让或许可。",
            "A deal is recorded as a transfer or a licence.",
        )
    return _event_record(
        actor=actor, right=right, event_type=event_type, date=date, payload=payload
    )


# What the platform itself pays, with no user (`right_annuity_record_system`): the annuity
# deposit of a pledge (预缴年费, ipfin.pledges).
SYSTEM_PAYMENT_SOURCES = frozenset({"deposit"})


@transaction.atomic
def right_annuity_record_system(
    *, right: Right, year: int, date: datetime.date, source: str
) -> RightEvent:
    """An annuity recorded paid by the platform itself, with no user: paid from a pledge's annuity
    deposit (预缴年费, issue 12 seed 000 — not on disk — as issue 12 states it: "on each due date
    the annuity is recorded paid from the deposit"), dated on its due date.

    The same checks as a payment recorded at the office's desk (`right_event_record`): the year is
    one the patent owes and is not paid yet, the date is not after its grace period and the right
    is not terminated on it (专利法实施细则 2023 r. 115-116, 专利收费标准); a refusal is the same
    422 with its code. The event has no `recorded_by`, its payload says `source`, and the audit
    record is the system's (actor None) with `source`; the owners and the pledgees are told as for
    any event. `source` is one of SYSTEM_PAYMENT_SOURCES (else a ValueError: the caller's bug)."""
    if source not in SYSTEM_PAYMENT_SOURCES:
        raise ValueError(f"unknown system payment source {source!r}")
    return _event_record(
        actor=None,
        right=right,
        event_type=EventType.ANNUITY_PAID,
        date=date,
        payload={"year": year},
        source=source,
    )


# What makes a change of legal status for the change feed: the status itself, and the two flags a
# pledgee watches (an invalidation request pending, the right preserved by a court).
_STATUS_FIELDS = ("status", "invalidation_pending", "preserved")


def _owner_org_ids(right: Right) -> set[int]:
    """The platform organisations among the right's current owners (who are told of it)."""
    return set(
        RightOwner.objects.filter(
            right=right, valid_to__isnull=True, organisation__isnull=False
        ).values_list("organisation_id", flat=True)
    )


def _status_change_data(
    right: Right, before: dict[str, Any], after: dict[str, Any]
) -> dict[str, Any]:
    """The data of a `right.status_changed` event: the right and its status fields before and
    after (status_as_dict forms)."""
    return {
        "right_number": right.number,
        "right_kind": right.kind,
        "before": {k: before.get(k) for k in _STATUS_FIELDS},
        "after": {k: after.get(k) for k in _STATUS_FIELDS},
    }


def _feed_status_change(
    right: Right,
    event: RightEvent | None,
    before: dict[str, Any],
    after: dict[str, Any],
    owner_ids: set[int],
    pledgee_ids: Sequence[int],
    term_facts: dict[str, Any] | None = None,
) -> None:
    """Tell the change feed (ipfin.feed) when a recorded event (`event`) or the office's record
    of the facts the term depends on (`term_facts`, the event then null: an author's death
    date that ends a copyright) changed the right's legal status today: its owners and the
    banks holding a pledge on it read it."""
    if all(before.get(k) == after.get(k) for k in _STATUS_FIELDS):
        return
    data = _status_change_data(right, before, after)
    data["event"] = (
        None if event is None else {"id": event.pk, "type": event.type, "date": event.date}
    )
    if term_facts is not None:
        data["term_facts"] = term_facts
    event_publish(FeedEventType.RIGHT_STATUS_CHANGED, data, [*sorted(owner_ids), *pledgee_ids])


# The statuses the passing of days brings on with no event recorded: an annuity unpaid on its due
# day (grace period, 专利法实施细则 2023 r. 116), still unpaid when the grace period ends (专利法
# art. 44 ¶1 (1): the patent ends), a term run out (专利法 art. 42, 商标法 arts. 39-40).
TIME_DRIVEN_STATUSES: frozenset[Status] = frozenset(
    {Status.GRACE_PERIOD, Status.LAPSED, Status.EXPIRED}
)


def rights_time_status_publish(pledgees: Mapping[int, Sequence[int]], *, on: datetime.date) -> int:
    """Tell the change feed (ipfin.feed) of the legal-status changes that the passing of days
    made to these rights by `on` (today), with no event recorded (see TIME_DRIVEN_STATUSES):
    the daily risk scan calls it with the pledged rights it watches and their pledgee banks
    (right id → bank ids), who are told with the right's owners. Recorded events and term facts
    publish their own changes when recorded (`_feed_status_change`); a status the days bring on
    has no such moment, so the pledgee bank would otherwise hear of it only as a risk alert.

    A status is told once the day it took effect has ended (`since` before `on`): an annuity
    paid on its due day is paid in time, so the due day itself is no grace period yet. Each
    change is keyed by the right, the status and `since`: the next day's scan, or a second one
    the same day, tells it once. `before` is the status on the last day the new one did not show
    yet: the day before `on`, or, when the scan missed days, the day found by halving the days
    between `since` and `on` (a patent ends on the day its annuity fell due, but shows lapsed only
    when the grace period ends). A fixed number of queries whatever the number of rights: the
    rights, their events, the keys told, the owners. Returns how many were published."""
    rights = list(Right.objects.filter(pk__in=list(pledgees)).order_by("pk"))
    if not rights:
        return 0
    events = rights_events_bulk(rights, on=on)
    calendar = working_calendar()  # the office's days, read once when first asked about
    now = rights_status_bulk(rights, on=on, events=events, calendar=calendar)
    keyed: dict[str, tuple[Right, StatusResult]] = {}
    for right in rights:
        after = now[right.pk]
        if (
            after.status in TIME_DRIVEN_STATUSES
            and after.since is not None
            and _shown_from(after, calendar) < on
        ):
            key = f"right.status:{right.pk}:{after.status.value}:{after.since.isoformat()}"
            keyed[key] = (right, after)
    told = keys_told(keyed)
    untold = {key: pair for key, pair in keyed.items() if key not in told}
    if not untold:
        return 0
    owners: dict[int, list[int]] = {}
    for right_id, org_id in (
        RightOwner.objects.filter(
            right_id__in=[right.pk for right, _after in untold.values()],
            valid_to__isnull=True,
            organisation__isnull=False,
        )
        .order_by("organisation_id")
        .values_list("right_id", "organisation_id")
    ):
        owners.setdefault(right_id, []).append(org_id)
    occurrences: list[Occurrence] = []
    for key, (right, after) in untold.items():
        before = _last_status_before(right, events[right.pk], after, on, calendar)
        if before is None:
            continue
        occurrences.append(
            Occurrence(
                FeedEventType.RIGHT_STATUS_CHANGED,
                {
                    **_status_change_data(right, status_as_dict(before), status_as_dict(after)),
                    "event": None,
                    "since": after.since,
                },
                [*owners.get(right.pk, []), *sorted(set(pledgees[right.pk]))],
                key=key,
            )
        )
    return events_publish(occurrences) if occurrences else 0


def _shown_from(status: StatusResult, calendar: WorkingCalendar) -> datetime.date:
    """The day a time-driven status first shows: its `since`, but for an annuity's grace period
    (which counts from the due date) the annuity's last day in time, the due date moved past
    rest days (`annuity_last_day`): until that day has ended the annuity is paid in time."""
    assert status.since is not None
    if status.status is Status.GRACE_PERIOD and status.unpaid_year is not None:
        return annuity_last_day(status.since, calendar)
    return status.since


def _last_status_before(
    right: Right,
    events: Sequence[RightEvent],
    after: StatusResult,
    on: datetime.date,
    calendar: WorkingCalendar,
) -> StatusResult | None:
    """The right's status on the last day before `on` that it was not yet `after.status`, from
    its events up to `on` (None when there is no such day: the status is not new). Halving: the
    day before `since` is not it yet, and once shown a time-driven status stays until an event
    changes it."""

    def status_on(day: datetime.date) -> StatusResult:
        day = max(day, REGISTER_FLOOR)
        upto = [event for event in events if event.date <= day]
        status = rights_status_bulk([right], on=day, events={right.pk: upto}, calendar=calendar)
        return status[right.pk]

    one_day = datetime.timedelta(days=1)
    before = status_on(on - one_day)
    if before.status != after.status:
        return before
    low, high = (after.since or on) - one_day, on - one_day
    low_status = status_on(low)
    if low_status.status == after.status:
        return None
    while (high - low).days > 1:
        middle = low + datetime.timedelta(days=(high - low).days // 2)
        status = status_on(middle)
        if status.status == after.status:
            high = middle
        else:
            low, low_status = middle, status
    return low_status


def _event_record(
    *,
    actor: User | None,
    right: Right,
    event_type: EventType,
    date: datetime.date,
    payload: dict[str, Any] | None,
    source: str | None = None,
) -> RightEvent:
    """The event recorded, once the caller checked who may record it (in its transaction);
    `actor` None with the `source` of a payment the platform made itself."""
    today = _today()
    check_fact_date("date", date, today=today)
    # One writer per right at a time: the checks below read the event log.
    right = Right.objects.select_for_update().get(pk=right.pk)
    if date < right.filing_date:
        raise invalid(
            None,
            "event_before_filing",
            f"事件日期 {date} 早于申请日 {right.filing_date}。",
            f"The event date {date} is before the filing date {right.filing_date}.",
        )
    cleaned = _clean_payload(right, event_type, date, dict(payload or {}))
    if source is not None:
        cleaned["source"] = source
    # Before any write (the owners of a transfer included): a refusal changes nothing.
    _require_pledgee_consent(right, event_type, date, cleaned)
    before = right_status(right, on=today)
    org_ids = _owner_org_ids(right)
    before_owners = None
    if event_type is EventType.TRANSFER:
        before_owners = _owners_json(
            list(RightOwner.objects.filter(right=right, valid_to__isnull=True))
        )
        org_ids |= _transfer_owners(right, date, cleaned["owners"])
    event = RightEvent.objects.create(
        right=right, type=event_type.value, date=date, payload=cleaned, recorded_by=actor
    )
    after = right_status(right, on=today)
    audit_before: dict[str, Any] = {"status": status_as_dict(before)}
    audit_after: dict[str, Any] = {
        "status": status_as_dict(after),
        "event": {"id": event.pk, "type": event_type.value, "date": date.isoformat(), **cleaned},
    }
    if before_owners is not None:
        audit_before["owners"] = before_owners
        audit_after["owners"] = cleaned["owners"]
    if source is not None:
        audit_after["source"] = source
    audit_record(
        actor=actor,
        action=f"right.event.{event_type.value}",
        obj=right,
        before=audit_before,
        after=audit_after,
    )
    notify_orgs(
        sorted(org_ids),
        right,
        f"right.event.{event_type.value}",
        f"您的知识产权 {right.number} 已登记{_EVENT_ZH[event_type]}（{date}）。",
        f"A {event_type.value.replace('_', ' ')} event dated {date} was recorded on your IP right "
        f"{right.number}.",
    )
    pledgees = pledgees_of(right, today)
    _feed_status_change(
        right, event, audit_before["status"], audit_after["status"], org_ids, pledgees
    )
    # The pledgee banks are told at once (their collateral changed), not only at the next scan.
    notify_orgs(
        [pk for pk in pledgees if pk not in org_ids],
        right,
        f"right.event.{event_type.value}",
        f"您的质押物（知识产权 {right.number}）已登记{_EVENT_ZH[event_type]}（{date}），"
        "请关注对贷款的影响。",
        f"A {event_type.value.replace('_', ' ')} event dated {date} was recorded on IP right "
        f"{right.number}, pledged to you: check what it means for the loan.",
    )
    if event_type is EventType.TRANSFER:
        right_transferred.send(sender=Right, right=right, event=event, actor=actor)
    return event


__all__ = [
    "CONSENT_DOCUMENT_MAX_LENGTH",
    "LICENCE_TYPES",
    "PLEDGEE_CONSENT_EVENTS",
    "RIGHT_EXTRA_FIELDS",
    "SYSTEM_PAYMENT_SOURCES",
    "check_fact_date",
    "clean_number",
    "clean_owners",
    "right_annuity_record_system",
    "right_create",
    "right_dealing_record",
    "right_event_record",
    "right_term_facts_set",
    "right_transfer_on_realisation",
]
